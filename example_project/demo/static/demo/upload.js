/*
 * Upload page of the demo.
 *
 * 1. Create a public state object through the REST API (session auth, CSRF header).
 * 2. Show the link to its watch page and point the panel at it.
 * 3. Send the file as the raw body of an XMLHttpRequest, and publish each new
 *    percentage as a state update over the ShoutOut WebSocket. Its update id is
 *    the number of bytes sent, so ids grow with progress, and the server's final
 *    message (size + 1) and state (size + 2) can never be overwritten by a
 *    progress frame that arrives late.
 *
 * The URLs come from this script's data attributes; OBJECT_ID stands for the id.
 */
(function () {
  "use strict";

  // At most one progress update per this many ms (the last one is always sent).
  // The server allows SHOUTOUT['WRITE_RATE_PER_CONNECTION'] writes per second on
  // one connection and closes connections that exceed it too often.
  var PROGRESS_INTERVAL_MS = 250;

  var script = document.currentScript;
  var form = document.querySelector("[data-demo-upload]");
  if (!form || !script || !window.ShoutOut) {
    return;
  }
  var ShoutOut = window.ShoutOut;
  var fileInput = form.querySelector("[data-demo-file]");
  var submit = form.querySelector("[data-demo-submit]");
  var notice = document.querySelector("[data-demo-notice]");
  var share = document.querySelector("[data-demo-share]");
  var panel = document.querySelector("[data-demo-panel]");

  function urlFor(attribute, id) {
    return script.getAttribute(attribute).replace("OBJECT_ID", encodeURIComponent(id));
  }

  function csrfToken() {
    return form.querySelector("[name=csrfmiddlewaretoken]").value;
  }

  function showNotice(text, kind) {
    notice.textContent = text;
    notice.setAttribute("data-kind", kind);
    notice.hidden = false;
  }

  function offerAnotherUpload() {
    var again = document.createElement("a");
    again.href = location.pathname;
    again.textContent = "Upload another file";
    notice.appendChild(document.createTextNode(" "));
    notice.appendChild(again);
  }

  function createObject(file) {
    return fetch(script.getAttribute("data-create-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Accept": "application/json",
        "Content-Type": "application/json",
        "X-CSRFToken": csrfToken(),
      },
      body: JSON.stringify({
        security: "public",
        data: { pct: 0, status: "waiting", name: file.name, size: file.size },
      }),
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) {
          throw new Error(body.message || "HTTP " + response.status);
        }
        return body;
      });
    });
  }

  function showShareLink(id) {
    var url = new URL(urlFor("data-watch-url", id), location.href).href;
    share.querySelector("[data-demo-watch-input]").value = url;
    share.querySelector("[data-demo-watch-link]").href = url;
    share.hidden = false;
  }

  function showPanel(id) {
    panel.setAttribute("data-object-id", id);
    panel.querySelectorAll("[data-shoutout-key]").forEach(function (element) {
      element.setAttribute("data-shoutout-id", id);
    });
    panel.hidden = false;
    ShoutOut.bind(panel);
  }

  function reportWriteError(err) {
    // A stale progress frame lost the race against a newer write, which is expected.
    if (err.code !== "stale") {
      console.warn("Progress update not sent:", err.code, err.message);
    }
  }

  function upload(file, id) {
    var xhr = new XMLHttpRequest();
    var lastPct = -1;
    var lastSentAt = 0;

    xhr.upload.addEventListener("progress", function (event) {
      if (!event.lengthComputable || event.loaded < 1) {
        return;
      }
      var pct = Math.floor((event.loaded * 100) / event.total);
      var done = event.loaded === event.total;
      var now = Date.now();
      if (pct === lastPct || (!done && now - lastSentAt < PROGRESS_INTERVAL_MS)) {
        return;
      }
      lastPct = pct;
      lastSentAt = now;
      var data = {
        pct: pct,
        status: done ? "storing" : "uploading",
        name: file.name,
        size: file.size,
        loaded: event.loaded,
      };
      ShoutOut.update(id, data, { updateId: event.loaded }).catch(reportWriteError);
    });

    function fail(reason) {
      showNotice("Upload failed: " + reason, "error");
      offerAnotherUpload();
      var data = { pct: Math.max(lastPct, 0), status: "failed", name: file.name, size: file.size };
      ShoutOut.update(id, data).catch(reportWriteError);
    }

    xhr.addEventListener("load", function () {
      var body = {};
      try {
        body = JSON.parse(xhr.responseText);
      } catch (err) {
        body = {};
      }
      if (xhr.status !== 200) {
        fail(body.message || "HTTP " + xhr.status);
        return;
      }
      showNotice("Stored " + body.name + " (" + body.size + " bytes).", "success");
      offerAnotherUpload();
    });
    xhr.addEventListener("error", function () {
      fail("the connection failed");
    });
    xhr.addEventListener("abort", function () {
      fail("the upload was aborted");
    });

    xhr.open("POST", urlFor("data-upload-url", id));
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.setRequestHeader("X-File-Name", encodeURIComponent(file.name));
    xhr.send(file);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var file = fileInput.files[0];
    if (!file) {
      return;
    }
    submit.disabled = true;
    fileInput.disabled = true;
    showNotice("Uploading " + file.name + "…", "info");

    createObject(file).then(
      function (object) {
        showShareLink(object.id);
        showPanel(object.id);
        upload(file, object.id);
      },
      function (err) {
        showNotice("Could not create the state object: " + err.message, "error");
        submit.disabled = false;
        fileInput.disabled = false;
      }
    );
  });
})();
