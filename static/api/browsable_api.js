// Django REST framework's base template cannot be extended at these two places, so they are set here
// once the page has loaded: the page's language (WCAG 3.1.1), and a name for each format menu button,
// whose only name is a title that Bootstrap's tooltip takes away (WCAG 4.1.2).
document.documentElement.lang = "en";
window.addEventListener("load", () => {
  for (const button of document.querySelectorAll("button.dropdown-toggle[data-original-title], button.dropdown-toggle[title]")) {
    button.setAttribute("aria-label", button.dataset.originalTitle || button.title);
  }
});
