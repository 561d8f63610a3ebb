// Keeps a console view scrolled to its newest line, like `tail -f`, until the reader scrolls up to read older
// output; scrolling back to the bottom follows again. Blazor replaces the text; this only moves the scroll bar.

const NEAR_BOTTOM_PX = 24;

export function follow(element) {
  if (!element || element.dataset.follow !== undefined) return;
  element.dataset.follow = "true";
  const toBottom = () => { element.scrollTop = element.scrollHeight; };
  element.addEventListener("scroll", () => {
    const atBottom = element.scrollHeight - element.scrollTop - element.clientHeight <= NEAR_BOTTOM_PX;
    element.dataset.follow = atBottom ? "true" : "false";
  });
  new MutationObserver(() => {
    if (element.dataset.follow === "true") toBottom();
  }).observe(element, { childList: true, characterData: true, subtree: true });
  toBottom();
}
