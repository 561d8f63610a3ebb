// Copies text for the portal's copy buttons. Where the clipboard API is refused (plain http on another host,
// an old browser), the element's text is selected instead, so Ctrl+C copies it; the caller is told which.
export async function copyText(text, element) {
    try {
        await navigator.clipboard.writeText(text);
        return true;
    } catch {
        if (element) {
            const range = document.createRange();
            range.selectNodeContents(element);
            const selection = window.getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
        }
        return false;
    }
}
