// Co-chairs: the live preview of the rule checker beside the appointment form. When the
// area, seat or person changes, the server says how the rules would stand after the
// appointment (and whether it would be refused). Without JS the form works the same.
(function () {
  "use strict";
  var form = document.getElementById("appoint-form");
  var box = document.getElementById("appoint-preview");
  if (!form || !box) return;
  var timer = null;
  var last = "";

  function node(tag, className, text) {
    var element = document.createElement(tag);
    if (className) element.className = className;
    if (text) element.textContent = text;
    return element;
  }

  function ruleItem(rule) {
    var item = node("li", "rule " + (rule.met ? "rule-met" : "rule-missing"));
    item.setAttribute("data-rule", rule.key);
    var sign = node("span", "rule-sign", rule.met ? "\u2713" : "\u2717");
    sign.setAttribute("aria-hidden", "true");
    item.appendChild(sign);
    item.appendChild(node("span", "visually-hidden", box.getAttribute(rule.met ? "data-met" : "data-missing") + " "));
    item.appendChild(document.createTextNode(rule.message));
    return item;
  }

  function ruleList(rules) {
    var list = node("ul", "rules");
    rules.forEach(function (rule) { list.appendChild(ruleItem(rule)); });
    return list;
  }

  function render(data) {
    box.textContent = "";
    box.appendChild(node("h3", null, box.getAttribute("data-title")));
    if (data.refusal) {
      box.appendChild(node("p", "refusal", box.getAttribute("data-refused") + " " + data.refusal.message));
    }
    data.areas.forEach(function (area) {
      if (area.id !== data.area_id) return;
      box.appendChild(node("h4", null, area.label));
      var list = ruleList(area.rules);
      list.id = "preview-area-rules";
      box.appendChild(list);
    });
    box.appendChild(node("h4", null, box.getAttribute("data-across")));
    var regions = ruleList([{ key: "regions", met: data.regions.met, message: data.regions.message }]);
    regions.id = "preview-region-rules";
    box.appendChild(regions);
  }

  function update() {
    var area = form.elements.focus_area.value;
    var seat = form.elements.seat.value;
    if (!area || !seat) { box.textContent = ""; last = ""; return; }
    var params = new URLSearchParams({ area_id: area, seat: seat });
    var email = form.elements.email.value.trim();
    if (email) params.set("email", email);
    var url = form.getAttribute("data-check-url") + "?" + params.toString();
    if (url === last) return;
    last = url;
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data && url === last) render(data); })
      .catch(function () { /* the page keeps working without the preview */ });
  }

  form.addEventListener("change", update);
  form.elements.email.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(update, 400);
  });
  update();
})();
