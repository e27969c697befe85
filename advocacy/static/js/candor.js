// Candor's small amount of page behaviour. No inline scripts anywhere (CSP), so
// behaviour hangs off data- attributes here.
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el instanceof HTMLSelectElement && el.hasAttribute("data-autosubmit")) {
    el.form.requestSubmit();
  }
});

// Date pickers speak the page's language: the browser draws <input type=date> and
// <input type=datetime-local> in its own locale, so each one gets a line beside it
// that reads the chosen moment back in the language of the page (data-date-echo).
function echoDate(input) {
  const out = input.parentElement.querySelector(`output[for="${input.id}"]`);
  if (!out) return;
  const value = input.value;
  if (!value) { out.textContent = ""; return; }
  const moment = new Date(input.type === "date" ? `${value}T00:00` : value);
  if (Number.isNaN(moment.getTime())) { out.textContent = ""; return; }
  const options = input.type === "date"
    ? { weekday: "short", day: "numeric", month: "long", year: "numeric" }
    : { weekday: "short", day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit" };
  out.textContent = new Intl.DateTimeFormat(document.documentElement.lang || undefined, options).format(moment);
}

function addDateEchoes(root) {
  root.querySelectorAll('input[type="date"], input[type="datetime-local"]').forEach((input) => {
    if (!input.id || input.dataset.echo) return;
    input.dataset.echo = "1";
    input.setAttribute("lang", document.documentElement.lang);
    const out = document.createElement("output");
    out.className = "hint date-echo";
    out.htmlFor = input.id;
    out.setAttribute("aria-live", "polite");
    input.insertAdjacentElement("afterend", out);
    echoDate(input);
  });
}

document.addEventListener("input", (event) => {
  const el = event.target;
  if (el instanceof HTMLInputElement && el.dataset.echo) echoDate(el);
});
document.addEventListener("DOMContentLoaded", () => addDateEchoes(document));
document.addEventListener("htmx:afterSwap", (event) => addDateEchoes(event.target));
