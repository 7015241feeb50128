// Check-in page: send the typed or scanned badge code as JSON (with the CSRF token
// header), show the answer, clear the field for the next badge, and keep the counts
// live. "Scan with camera" appears only where the browser has BarcodeDetector for QR
// codes and a camera; elsewhere the page works as a plain form (and without this script).
(function () {
  "use strict";
  var root = document.querySelector("[data-checkin]");
  if (!root || !window.fetch || !window.JSON) return;
  var form = document.getElementById("checkin-form");
  var input = form.querySelector("[name=code]");
  var token = form.querySelector("[name=csrf_token]");
  var result = document.getElementById("checkin-result");
  var countsUrl = root.getAttribute("data-counts-url");
  var SYMBOLS = { ok: "\u2713", warn: "\u26a0" };
  var busy = false;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function show(data) {
    var level = data.level || "refused";
    result.className = "checkin-result level-" + level + " is-new";
    result.textContent = "";
    var title = el("p", "checkin-title");
    var symbol = el("span", "checkin-symbol", SYMBOLS[level] || "\u2717");
    symbol.setAttribute("aria-hidden", "true");
    title.appendChild(symbol);
    title.appendChild(document.createTextNode(" "));
    title.appendChild(el("strong", null, data.title));
    result.appendChild(title);
    if (data.participant) {
      var person = el("p", "checkin-person");
      person.appendChild(el("span", "checkin-name", data.participant.name));
      if (data.participant.organization) {
        person.appendChild(el("span", "checkin-org", data.participant.organization));
      }
      var category = el("span", "category");
      var swatch = el("span", "swatch");
      swatch.style.background = data.participant.colour;
      swatch.setAttribute("aria-hidden", "true");
      category.appendChild(swatch);
      category.appendChild(document.createTextNode(" " + data.participant.category));
      person.appendChild(category);
      result.appendChild(person);
    }
    if (data.message) result.appendChild(el("p", "checkin-message", data.message));
    window.setTimeout(function () { result.classList.remove("is-new"); }, 700);
  }

  function updateCounts(counts) {
    if (!counts) return;
    document.querySelectorAll("#checkin-total [data-count]").forEach(function (node) {
      var key = node.getAttribute("data-count");
      if (key in counts) node.textContent = counts[key];
    });
    var body = document.querySelector("#checkin-categories tbody");
    if (!body || !counts.categories) return;
    if (!counts.categories.length) return;
    body.textContent = "";
    counts.categories.forEach(function (c) {
      var row = el("tr");
      row.setAttribute("data-category", c.category);
      var cell = el("td");
      var category = el("span", "category");
      var swatch = el("span", "swatch");
      swatch.style.background = c.colour;
      swatch.setAttribute("aria-hidden", "true");
      category.appendChild(swatch);
      category.appendChild(document.createTextNode(" " + c.label));
      cell.appendChild(category);
      row.appendChild(cell);
      var done = el("td", null, c.checked_in);
      done.setAttribute("data-count", "checked_in");
      var expected = el("td", null, c.expected);
      expected.setAttribute("data-count", "expected");
      row.appendChild(done);
      row.appendChild(expected);
      body.appendChild(row);
    });
  }

  function failed(message) {
    show({ level: "refused", title: message || root.getAttribute("data-error-text") });
  }

  function send(code) {
    if (busy) return;
    code = (code || "").trim();
    if (!code) { input.focus(); return; }
    busy = true;
    fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": token ? token.value : ""
      },
      body: JSON.stringify({ code: code })
    }).then(function (response) {
      return response.json().then(function (data) { return data; }, function () { return null; });
    }).then(function (data) {
      if (data && data.outcome) {
        show(data);
        updateCounts(data.counts);
      } else {
        failed(data && data.error ? data.error.message : null);
      }
    }).catch(function () { failed(); }).then(function () {
      busy = false;
      input.value = "";
      input.focus();
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    send(input.value);
  });

  function refresh() {
    if (document.hidden) return;
    fetch(countsUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(updateCounts)
      .catch(function () {});
  }
  window.setInterval(refresh, 5000);

  // The camera: progressive, only where QR codes can be read by the browser itself.
  var start = document.getElementById("scan-start");
  var stop = document.getElementById("scan-stop");
  var video = document.getElementById("scan-video");
  if (!start || !("BarcodeDetector" in window) || !navigator.mediaDevices ||
      !navigator.mediaDevices.getUserMedia) return;
  var detector = null, stream = null, timer = null, last = "", lastAt = 0;

  function stopCamera() {
    if (timer) window.clearTimeout(timer);
    timer = null;
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
    video.hidden = true;
    stop.hidden = true;
    start.hidden = false;
    input.focus();
  }

  function scan() {
    if (!stream) return;
    detector.detect(video).then(function (codes) {
      var now = Date.now();
      if (codes.length) {
        var value = codes[0].rawValue;
        // The same badge held in front of the camera is sent once, not every frame.
        if (value && (value !== last || now - lastAt > 4000)) {
          last = value;
          lastAt = now;
          send(value);
        }
      }
    }).catch(function () {}).then(function () {
      timer = window.setTimeout(scan, 250);
    });
  }

  function startCamera() {
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (s) {
        stream = s;
        video.srcObject = s;
        video.hidden = false;
        start.hidden = true;
        stop.hidden = false;
        return video.play();
      }).then(scan).catch(function () {
        stopCamera();
        failed(root.getAttribute("data-camera-error-text"));
      });
  }

  Promise.resolve(window.BarcodeDetector.getSupportedFormats ?
      window.BarcodeDetector.getSupportedFormats() : ["qr_code"])
    .then(function (formats) {
      if (formats.indexOf("qr_code") === -1) return;
      detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      start.hidden = false;
      start.addEventListener("click", startCamera);
      stop.addEventListener("click", stopCamera);
    }).catch(function () {});
})();
