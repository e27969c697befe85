// The installable portal, page side: registers the service worker for people taking
// part, clears every saved page when anyone else is shown a page or someone signs
// out, makes a saved page read-only while offline, and turns web push on and off.
const OFFLINE_CACHE_PREFIX = "candor-";

function clearOfflineCopies() {
  if (!("caches" in window)) return Promise.resolve();
  return caches.keys().then((keys) => Promise.all(
    keys.filter((key) => key.startsWith(OFFLINE_CACHE_PREFIX)).map((key) => caches.delete(key)),
  ));
}

function csrfHeaders() {
  const headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
  return { ...headers, "Content-Type": "application/json" };
}

function postJson(url, body) {
  return fetch(url, { method: "POST", headers: csrfHeaders(), body: JSON.stringify(body), credentials: "same-origin" });
}

async function currentPushSubscription() {
  if (!("serviceWorker" in navigator) || !("PushManager" in window)) return null;
  const registration = await navigator.serviceWorker.getRegistration("/");
  return registration ? registration.pushManager.getSubscription() : null;
}

// Signing out hands the browser back clean: this person's saved pages go, and so does
// this browser's push subscription (on the server too), before the sign-out is sent.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-sign-out") || form.dataset.cleared) return;
  event.preventDefault();
  const unsubscribe = currentPushSubscription().then((subscription) => {
    if (!subscription) return null;
    return postJson(document.body.dataset.pushUnsubscribe, { endpoint: subscription.endpoint })
      .finally(() => subscription.unsubscribe());
  }).catch(() => null);
  Promise.allSettled([unsubscribe, clearOfflineCopies()]).then(() => {
    form.dataset.cleared = "1";
    form.submit();
  });
});

function showOfflineState() {
  const offline = !navigator.onLine;
  document.documentElement.toggleAttribute("data-offline", offline);
  const banner = document.getElementById("offline-banner");
  if (banner) banner.hidden = !offline;
  document.querySelectorAll("form button, form input, form select, form textarea").forEach((el) => {
    if (offline && !el.disabled) { el.disabled = true; el.dataset.offlineDisabled = "1"; }
    if (!offline && el.dataset.offlineDisabled) { el.disabled = false; delete el.dataset.offlineDisabled; }
  });
  document.querySelectorAll("a[data-needs-network]").forEach((link) => {
    if (offline) link.setAttribute("aria-disabled", "true"); else link.removeAttribute("aria-disabled");
  });
}

document.addEventListener("click", (event) => {
  const link = event.target instanceof Element ? event.target.closest("a[data-needs-network]") : null;
  if (link && !navigator.onLine) event.preventDefault();
});
window.addEventListener("online", showOfflineState);
window.addEventListener("offline", showOfflineState);

function base64UrlToBytes(value) {
  const padded = (value + "===".slice((value.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

function showPush(card, state) {
  card.querySelectorAll("[data-push-state]").forEach((el) => { el.hidden = el.dataset.pushState !== state; });
}

async function setUpPushCard(card) {
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    showPush(card, "unsupported");
    return;
  }
  if (Notification.permission === "denied") { showPush(card, "denied"); return; }
  showPush(card, (await currentPushSubscription()) ? "on" : "off");
  card.addEventListener("click", async (event) => {
    const action = event.target instanceof Element ? event.target.closest("[data-push-action]") : null;
    if (!action) return;
    const error = card.querySelector("[data-push-error]");
    error.textContent = "";
    try {
      if (action.dataset.pushAction === "on") {
        if ((await Notification.requestPermission()) !== "granted") { showPush(card, "denied"); return; }
        const registration = await navigator.serviceWorker.ready;
        const subscription = await registration.pushManager.subscribe({
          userVisibleOnly: true, applicationServerKey: base64UrlToBytes(card.dataset.pushKey),
        });
        const answer = await postJson(card.dataset.pushSubscribe, subscription.toJSON());
        if (!answer.ok) {
          await subscription.unsubscribe();
          error.textContent = (await answer.json()).detail || card.dataset.pushFailed;
          return;
        }
      } else {
        const subscription = await currentPushSubscription();
        if (subscription) {
          await postJson(card.dataset.pushUnsubscribe, { endpoint: subscription.endpoint });
          await subscription.unsubscribe();
        }
      }
      window.location.reload();
    } catch (problem) {
      error.textContent = card.dataset.pushFailed;
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const worker = document.body.dataset.serviceWorker;
  if (document.body.dataset.offlineCopy === "keep" && worker && "serviceWorker" in navigator) {
    navigator.serviceWorker.register(worker, { scope: "/" }).then(() => navigator.serviceWorker.ready).then((registration) => {
      registration.active.postMessage({ type: "language", language: document.documentElement.lang });
    }).catch(() => null);
  } else {
    // Not (or no longer) taking part, or signed out: nothing of anyone's stays saved.
    clearOfflineCopies();
  }
  showOfflineState();
  document.querySelectorAll("[data-push-key]").forEach((card) => setUpPushCard(card));
});
