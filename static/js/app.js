// Behaviour the templates ask for with data attributes instead of inline handlers, so the
// Content-Security-Policy can forbid inline scripts (script-src 'self').
//   data-autosubmit            on a field or form: submit the form when a value changes
//                              ("submit" skips the submit event, as form.submit() does)
//   data-select-on-click       select the field's text when clicked (links to copy)
//   data-confirm="…"           on a form: ask before submitting
//   data-confirm-if-field / data-confirm-if-value: ask only when that field of the form
//                              holds that value
//   data-open-dialog="id"      on an htmx element: open that <dialog> after its request
//   data-close-on="event"      on a <dialog>: close it when that event bubbles up to it
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var source = event.target.closest("[data-autosubmit]");
    if (!source) return;
    var form = source.tagName === "FORM" ? source : source.form;
    if (!form) return;
    if (source.dataset.autosubmit === "submit") form.submit();
    else form.requestSubmit();
  });
  document.addEventListener("click", function (event) {
    var field = event.target.closest("[data-select-on-click]");
    if (field) field.select();
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.dataset || form.dataset.confirm === undefined) return;
    var only = form.dataset.confirmIfField;
    if (only && (!form.elements[only] ||
                 form.elements[only].value !== form.dataset.confirmIfValue)) return;
    if (!window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    var id = elt && elt.dataset && elt.dataset.openDialog;
    var dialog = id && document.getElementById(id);
    if (dialog && !dialog.open) dialog.showModal();
  });
  ["task-added"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      var dialog = event.target.closest && event.target.closest("dialog[data-close-on]");
      if (dialog && dialog.dataset.closeOn.split(" ").indexOf(name) !== -1) dialog.close();
    });
  });
})();
