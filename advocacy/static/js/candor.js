// Candor's small amount of page behaviour. No inline scripts anywhere (CSP), so
// behaviour hangs off data- attributes here.
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el instanceof HTMLSelectElement && el.hasAttribute("data-autosubmit")) {
    el.form.requestSubmit();
  }
});
