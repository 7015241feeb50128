// Convene: the payment page (Stripe's Payment Element, or the Card Element where the
// loaded Stripe.js has no Payment Element, as localstripe's stand-in), and the order
// page's wait for the webhook. The order turns paid only from Stripe's signed webhook:
// after confirming, this script only goes to the order page, which polls its status.
(function () {
  "use strict";

  var form = document.getElementById("payment-form");
  if (form) {
    var message = document.getElementById("payment-message");
    var button = document.getElementById("pay-button");
    var label = button.textContent;
    var show = function (text) {
      message.textContent = text;
      message.hidden = !text;
    };
    if (typeof window.Stripe !== "function") {
      show(form.dataset.msgUnavailable);
      button.disabled = true;
      return;
    }
    var stripe = window.Stripe(form.dataset.key);
    var secret = form.dataset.clientSecret;
    var returnUrl = form.dataset.returnUrl;
    var confirm;
    if (typeof stripe.confirmPayment === "function") {
      // Stripe.js v3: the Payment Element offers every method enabled for the account.
      var elements = stripe.elements({ clientSecret: secret });
      elements.create("payment").mount("#payment-element");
      confirm = function () {
        return stripe.confirmPayment({
          elements: elements,
          confirmParams: { return_url: returnUrl },
          redirect: "if_required",
        });
      };
    } else {
      // A Stripe.js without the Payment Element: the Card Element.
      var card = stripe.elements().create("card");
      card.mount("#payment-element");
      confirm = function () {
        return stripe.confirmCardPayment(secret, { payment_method: { card: card } });
      };
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      button.disabled = true;
      button.textContent = form.dataset.msgBusy;
      show("");
      Promise.resolve(confirm())
        .then(function (result) {
          if (result && result.error) {
            var detail = result.error.message || String(result.error);
            show(form.dataset.msgFailed + " " + detail);
            button.disabled = false;
            button.textContent = label;
          } else {
            window.location.assign(returnUrl);
          }
        })
        .catch(function (error) {
          show(form.dataset.msgFailed + " " + (error && error.message ? error.message : error));
          button.disabled = false;
          button.textContent = label;
        });
    });
  }

  // The order page: while a card payment awaits its webhook, poll the order's status and
  // reload when it changes (for ten minutes at most). A card declined and then paid on a
  // second try goes from "failed" to "paid" this way too.
  var status = document.querySelector("[data-poll]");
  if (status) {
    var started = Date.now();
    var poll = function () {
      fetch(status.getAttribute("data-poll"), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then(function (r) { return r.json(); })
        .then(function (order) {
          if (order.status && order.status !== status.getAttribute("data-status")) {
            window.location.reload();
          } else if (Date.now() - started < 600000) {
            setTimeout(poll, 2000);
          }
        })
        .catch(function () {
          if (Date.now() - started < 600000) setTimeout(poll, 5000);
        });
    };
    setTimeout(poll, 2000);
  }
})();
