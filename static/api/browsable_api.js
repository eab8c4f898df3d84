// Django REST framework's templates cannot be extended at these places, so they are set here once the
// page has loaded: the page's language (WCAG 3.1.1); a name for each format menu button, whose only name
// is a title that Bootstrap's tooltip takes away; and each HTML form field tied to its label, which DRF's
// horizontal form templates write without `for` (WCAG 1.3.1, 4.1.2).
document.documentElement.lang = "en";
window.addEventListener("load", () => {
  for (const button of document.querySelectorAll("button.dropdown-toggle[data-original-title], button.dropdown-toggle[title]")) {
    button.setAttribute("aria-label", button.dataset.originalTitle || button.title);
  }
  document.querySelectorAll("form .form-group").forEach((group, i) => {
    const label = group.querySelector("label.control-label");
    const control = group.querySelector("input:not([type=hidden]), select, textarea");
    if (!label || !control || label.htmlFor) return;
    control.id = control.id || `drf-field-${i}`;
    label.htmlFor = control.id;
  });
});
