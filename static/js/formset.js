// "Add a language version": a new form of the Django formset from its empty template.
(function () {
  const button = document.getElementById("add-version");
  const template = document.getElementById("version-template");
  const total = document.querySelector("input[name$='-TOTAL_FORMS']");
  if (!button || !template || !total) return;
  button.addEventListener("click", function () {
    const index = parseInt(total.value, 10);
    const html = template.innerHTML.replace(/__prefix__/g, String(index));
    document.getElementById("versions").insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    const first = document.querySelector(`[name$='-${index}-language']`);
    if (first) first.focus();
  });
})();
