// "Skip to main content": moves focus to the page's main region. Handled here, before Blazor's link handling,
// because with <base href="/"> a plain "#main-content" link would navigate to the dashboard.
document.addEventListener('click', event => {
    const link = event.target.closest && event.target.closest('a.kraut-skip-link');
    if (!link) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    const main = document.getElementById('main-content');
    if (main) {
        main.focus();
        main.scrollIntoView();
    }
}, true);
