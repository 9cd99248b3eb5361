// gitward admin pages: the only script (the Content-Security-Policy allows no inline script).
// A form with data-confirm asks before it is sent (revoking a key, removing a signer).
"use strict";
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form instanceof HTMLFormElement ? form.dataset.confirm : undefined;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
