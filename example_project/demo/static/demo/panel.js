/*
 * Upload panel of the demo: the message list, the connection line and the
 * panel's status colour. The ShoutOut client itself fills the bound progress
 * bar, percentage, status, file name and size. This script only listens to
 * ShoutOut's DOM events, so it defines no global.
 */
(function () {
  "use strict";

  var panel = document.querySelector("[data-demo-panel]");
  if (!panel) {
    return;
  }
  var list = panel.querySelector("[data-demo-messages]");
  var connection = panel.querySelector("[data-demo-connection]");

  function isForPanel(event) {
    return Boolean(event.detail) && event.detail.id === panel.getAttribute("data-object-id");
  }

  function describe(payload) {
    if (payload && payload.event === "stored") {
      return "Stored " + payload.name + " (" + payload.size + " bytes)";
    }
    return JSON.stringify(payload);
  }

  function addMessage(text, kind) {
    var placeholder = list.querySelector("[data-demo-no-messages]");
    if (placeholder) {
      placeholder.remove();
    }
    var item = document.createElement("li");
    var time = document.createElement("time");
    time.textContent = new Date().toLocaleTimeString();
    item.appendChild(time);
    item.appendChild(document.createTextNode(" " + text));
    if (kind) {
      item.setAttribute("data-event", kind);
    }
    list.appendChild(item);
  }

  function showStatus(state) {
    var data = state && state.data;
    if (data && typeof data.status === "string") {
      panel.setAttribute("data-status", data.status);
    }
  }

  document.addEventListener("shoutout:state", function (event) {
    if (isForPanel(event)) {
      showStatus(event.detail);
    }
  });

  document.addEventListener("shoutout:message", function (event) {
    if (isForPanel(event)) {
      var payload = event.detail.payload;
      addMessage(describe(payload), payload && payload.event);
    }
  });

  ["expired", "deleted"].forEach(function (name) {
    document.addEventListener("shoutout:" + name, function (event) {
      if (isForPanel(event)) {
        panel.setAttribute("data-status", name);
        addMessage("The state object was " + name + "; no more updates will come.", name);
      }
    });
  });

  document.addEventListener("shoutout:connection", function (event) {
    var detail = event.detail;
    connection.setAttribute("data-state", detail.state);
    if (detail.state === "open") {
      connection.textContent = "live";
    } else if (detail.retryIn !== null) {
      connection.textContent = "offline, retrying in " + Math.ceil(detail.retryIn / 1000) + " s";
    } else {
      connection.textContent = "offline";
    }
  });

  var id = panel.getAttribute("data-object-id");
  if (id) {
    showStatus(window.ShoutOut && window.ShoutOut.getState(id));
  }
})();
