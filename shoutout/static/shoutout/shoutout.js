/*
 * ShoutOut browser client: one WebSocket carries every subscription of the page.
 *
 * Load it with {% shoutout_script %}. It reads the WebSocket path from its own
 * <script data-url="..."> tag, uses no eval and no inline handlers, and defines
 * one global, window.ShoutOut. Reference: docs/js-api.md.
 */
(function () {
  "use strict";

  if (window.ShoutOut) {
    return; // loaded twice: keep the first client and its socket
  }

  var script = document.currentScript;
  var DEFAULT_URL = "/ws/shoutout/";
  var BASE_DELAY_MS = 500;
  var MAX_DELAY_MS = 30000;
  // A subscribe rejected with one of these codes cannot succeed later, so the
  // client forgets the subscription instead of sending it again on reconnect.
  var FINAL_SUBSCRIBE_ERRORS = [
    "not_found", "invalid_id", "forbidden", "not_authenticated",
    "token_invalid", "token_expired", "token_wrong_object", "token_wrong_scope", "token_revoked",
  ];

  var socket = null;
  var socketOpen = false;
  var failedAttempts = 0;
  var retryTimer = null;
  var nextRef = 1;
  // object id -> {lastUpdateId, state, subscribeRef, token, handlers: Set}
  var objects = new Map();
  // ref -> {text, sent, resolve, reject} for update and message frames
  var writes = new Map();
  // object id -> {elements: Set, subscription}
  var bindings = new Map();

  // Helpers that keep exceptions of page code and of the client apart.

  function emit(name, detail) {
    try {
      document.dispatchEvent(new CustomEvent("shoutout:" + name, { detail: detail }));
    } catch (err) {
      console.error("ShoutOut: dispatching shoutout:" + name + " failed", err);
    }
  }

  function invoke(handler, name, args) {
    var callback = handler.callbacks[name];
    if (typeof callback !== "function") {
      return;
    }
    try {
      callback.apply(null, args);
    } catch (err) {
      console.error("ShoutOut: the " + name + " callback for object " + handler.id + " threw", err);
    }
  }

  function invokeAll(entry, name, args) {
    Array.from(entry.handlers).forEach(function (handler) {
      invoke(handler, name, args);
    });
  }

  function makeError(frame) {
    var err = new Error(frame.message || frame.code);
    err.name = "ShoutOutError";
    err.code = frame.code;
    err.id = frame.id;
    err.currentUpdateId = frame.current_update_id;
    err.frame = frame;
    return err;
  }

  function localError(code, message, id) {
    return makeError({ type: "error", code: code, message: message, id: id });
  }

  // The connection.

  function socketUrl() {
    var raw = (script && script.getAttribute("data-url")) || DEFAULT_URL;
    if (/^wss?:\/\//i.test(raw)) {
      return raw;
    }
    var scheme = location.protocol === "https:" ? "wss:" : "ws:";
    var resolved = new URL(raw, location.href);
    return scheme + "//" + resolved.host + resolved.pathname + resolved.search;
  }

  function needsSocket() {
    return objects.size > 0 || writes.size > 0;
  }

  function connect() {
    if (socket || retryTimer || !needsSocket()) {
      return;
    }
    var ws;
    try {
      ws = new WebSocket(socketUrl());
    } catch (err) {
      console.error("ShoutOut: cannot open a WebSocket", err);
      closed();
      return;
    }
    socket = ws;
    ws.addEventListener("open", function () {
      if (socket === ws) {
        opened();
      }
    });
    ws.addEventListener("message", function (event) {
      if (socket === ws) {
        receive(event.data);
      }
    });
    ws.addEventListener("close", function () {
      if (socket === ws) {
        socket = null;
        closed();
      }
    });
  }

  function sendText(text) {
    if (!socketOpen) {
      return false;
    }
    try {
      socket.send(text);
      return true;
    } catch (err) {
      console.error("ShoutOut: sending a frame failed", err);
      return false;
    }
  }

  function opened() {
    socketOpen = true;
    failedAttempts = 0;
    objects.forEach(function (entry, id) {
      sendSubscribe(id, entry);
    });
    writes.forEach(function (write) {
      if (!write.sent) {
        write.sent = sendText(write.text);
      }
    });
    emit("connection", { state: "open" });
  }

  function closed() {
    var wasOpen = socketOpen;
    socketOpen = false;

    writes.forEach(function (write, ref) {
      var code = write.sent ? "connection_lost" : "not_connected";
      var text = write.sent
        ? "The connection closed before the server acknowledged the write."
        : "The WebSocket could not be opened, so the write was not sent.";
      write.reject(localError(code, text, write.id));
      writes.delete(ref);
    });

    var retryIn = scheduleReconnect();
    emit("connection", { state: "closed", wasOpen: wasOpen, retryIn: retryIn });
  }

  /**
   * Schedule the next connection attempt after a random wait between half and all of
   * min(30 s, 0.5 s * 2^failures). Return the wait in ms, or null when nothing needs a socket.
   */
  function scheduleReconnect() {
    if (!needsSocket()) {
      return null;
    }
    var ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * Math.pow(2, failedAttempts));
    var delay = Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
    failedAttempts += 1;
    retryTimer = setTimeout(function () {
      retryTimer = null;
      connect();
    }, delay);
    return delay;
  }

  window.addEventListener("online", function () {
    if (retryTimer) {
      clearTimeout(retryTimer);
      retryTimer = null;
      connect();
    }
  });

  // Server frames.

  function receive(text) {
    var frame;
    try {
      frame = JSON.parse(text);
    } catch (err) {
      console.error("ShoutOut: the server sent a frame that is not JSON", err);
      return;
    }
    if (!frame || typeof frame !== "object") {
      return;
    }
    switch (frame.type) {
      case "snapshot":
      case "state":
        deliverState(frame);
        break;
      case "message":
        deliverMessage(frame);
        break;
      case "ack":
        settleWrite(frame);
        break;
      case "error":
        deliverError(frame);
        break;
      case "expired":
      case "deleted":
      case "revoked":
        endObject(frame);
        break;
      default:
        break; // subscribed, unsubscribed, pong
    }
  }

  /** Return the subscription entry when the frame's update id is newer than the last one handed out. */
  function acceptNewer(frame) {
    var entry = objects.get(frame.id);
    if (!entry || typeof frame.update_id !== "number" || frame.update_id <= entry.lastUpdateId) {
      return null;
    }
    entry.lastUpdateId = frame.update_id;
    return entry;
  }

  function deliverState(frame) {
    var entry = acceptNewer(frame);
    if (!entry) {
      return;
    }
    var detail = {
      id: frame.id,
      updateId: frame.update_id,
      data: frame.data,
      snapshot: frame.type === "snapshot",
      expiresAt: frame.type === "snapshot" ? frame.expires_at : null,
    };
    entry.state = detail;
    applyBindings(frame.id, frame.data);
    invokeAll(entry, "onState", [frame.data, detail]);
    emit("state", detail);
  }

  function deliverMessage(frame) {
    var entry = acceptNewer(frame);
    if (!entry) {
      return;
    }
    var detail = { id: frame.id, updateId: frame.update_id, payload: frame.payload };
    invokeAll(entry, "onMessage", [frame.payload, detail]);
    emit("message", detail);
  }

  function settleWrite(frame) {
    var write = writes.get(frame.ref);
    if (write) {
      writes.delete(frame.ref);
      write.resolve(frame);
    }
  }

  function deliverError(frame) {
    var err = makeError(frame);
    var write = frame.ref === undefined ? null : writes.get(frame.ref);
    var entry = frame.id === undefined ? null : objects.get(frame.id);

    if (write) {
      writes.delete(frame.ref);
      write.reject(err);
    } else if (entry) {
      invokeAll(entry, "onError", [err]);
      // An error without ref ends a subscription from the server side (access lost).
      var endsSubscription = frame.ref === undefined || frame.ref === entry.subscribeRef;
      if (endsSubscription && FINAL_SUBSCRIBE_ERRORS.indexOf(frame.code) !== -1) {
        forget(frame.id);
      }
    }
    emit("error", { id: frame.id, code: frame.code, message: frame.message, ref: frame.ref, error: err });
  }

  function endObject(frame) {
    var entry = objects.get(frame.id);
    if (!entry) {
      return;
    }
    forget(frame.id);
    var detail = { id: frame.id };
    var callback = { expired: "onExpired", deleted: "onDeleted", revoked: "onRevoked" }[frame.type];
    invokeAll(entry, callback, [detail]);
    emit(frame.type, detail);
  }

  // Subscriptions.

  function sendSubscribe(id, entry) {
    entry.subscribeRef = "s" + nextRef++;
    var frame = { type: "subscribe", id: id, ref: entry.subscribeRef };
    if (entry.token) {
      frame.token = entry.token;
    }
    sendText(JSON.stringify(frame));
  }

  /** Forget every subscription and binding of ``id`` without telling the server, which has none left. */
  function forget(id) {
    objects.delete(id);
    bindings.delete(id);
  }

  function removeHandler(id, handler) {
    var entry = objects.get(id);
    if (!entry || !entry.handlers.delete(handler) || entry.handlers.size > 0) {
      return;
    }
    objects.delete(id);
    sendText(JSON.stringify({ type: "unsubscribe", id: id, ref: "u" + nextRef++ }));
  }

  /**
   * Subscribe to a state object. The first subscription to an id sends a
   * subscribe frame. Later ones share it and get the page's last state in a later task.
   *
   * @param {string} id Object id.
   * @param {Object} [callbacks] Any of onState(data, detail), onMessage(payload, detail),
   *   onExpired(detail), onDeleted(detail), onRevoked(detail), onError(error), and
   *   ``token``: a capability token sent with the subscribe frame (the first
   *   subscription to an id decides). A callback that throws is logged with
   *   console.error and does not stop the others.
   * @returns {{id: string, unsubscribe: function(): void}} The subscription handle.
   * @throws {TypeError} When id is not a non-empty string.
   */
  function subscribe(id, callbacks) {
    if (typeof id !== "string" || id === "") {
      throw new TypeError("ShoutOut.subscribe() needs an object id string, got " + String(id));
    }
    var handler = { id: id, callbacks: callbacks || {} };
    var entry = objects.get(id);
    if (entry) {
      var last = entry.state;
      if (last) {
        setTimeout(function () {
          if (entry.handlers.has(handler)) {
            invoke(handler, "onState", [last.data, last]);
          }
        }, 0);
      }
    } else {
      var token = typeof handler.callbacks.token === "string" ? handler.callbacks.token : null;
      entry = { lastUpdateId: -1, state: null, subscribeRef: null, token: token, handlers: new Set() };
      objects.set(id, entry);
      sendSubscribe(id, entry);
    }
    entry.handlers.add(handler);
    connect();

    return {
      id: id,
      unsubscribe: function () {
        removeHandler(id, handler);
      },
    };
  }

  // Writes.

  function write(type, field, id, value, options) {
    return new Promise(function (resolve, reject) {
      if (typeof id !== "string" || id === "") {
        throw new TypeError("ShoutOut." + (type === "update" ? "update" : "publish") + "() needs an object id string");
      }
      if (retryTimer) {
        reject(localError("not_connected", "The WebSocket is closed; a reconnect is scheduled.", id));
        return;
      }
      var ref = "w" + nextRef++;
      var frame = { type: type, id: id, ref: ref };
      frame[field] = value;
      if (options && options.updateId !== undefined && options.updateId !== null) {
        frame.update_id = options.updateId;
      }
      if (options && typeof options.token === "string") {
        frame.token = options.token;
      }
      var text = JSON.stringify(frame);
      writes.set(ref, { id: id, text: text, sent: sendText(text), resolve: resolve, reject: reject });
      connect();
    });
  }

  /**
   * Replace an object's state (an ``update`` frame).
   *
   * @param {string} id Object id.
   * @param {*} data New state, any JSON value.
   * @param {{updateId: number, token: string}} [options] updateId must be greater than
   *   the object's current update id; omit it and the server assigns the next one.
   *   token is a write capability token for pages without a user who may write.
   * @returns {Promise<Object>} Resolves with the ack frame (``accepted_update_id``).
   *   Rejects with a ShoutOutError (``code``, ``message``, ``currentUpdateId``, ``frame``)
   *   for an error frame, and with code ``not_connected`` or ``connection_lost``
   *   when the socket is down. Never throws synchronously.
   */
  function update(id, data, options) {
    return write("update", "data", id, data, options);
  }

  /**
   * Send a message to every receiver of an object (a ``message`` frame).
   * Same options, result and errors as update().
   *
   * @param {string} id Object id.
   * @param {*} payload Any JSON value.
   * @param {{updateId: number}} [options]
   * @returns {Promise<Object>} The ack frame, or a rejection with a ShoutOutError.
   */
  function publish(id, payload, options) {
    return write("message", "payload", id, payload, options);
  }

  // Bindings of elements to keys of the state.

  function lookup(data, key) {
    return key.split(".").reduce(function (value, part) {
      return value !== null && typeof value === "object" ? value[part] : undefined;
    }, data);
  }

  function applyTo(element, data) {
    var value = lookup(data, element.getAttribute("data-shoutout-key") || "");
    if (value === undefined || value === null) {
      return;
    }
    if (element instanceof HTMLProgressElement || element instanceof HTMLMeterElement) {
      var number = Number(value);
      if (isFinite(number)) {
        element.value = number;
      }
      return;
    }
    element.textContent = typeof value === "object" ? JSON.stringify(value) : String(value);
  }

  function applyBindings(id, data) {
    var binding = bindings.get(id);
    if (!binding) {
      return;
    }
    binding.elements.forEach(function (element) {
      if (element.isConnected) {
        applyTo(element, data);
      } else {
        binding.elements.delete(element);
      }
    });
  }

  /**
   * Bind every element under ``root`` (and ``root`` itself) that has
   * ``data-shoutout-id`` and ``data-shoutout-key``: each state sets the value of a
   * <progress> or <meter>, or the textContent of any other element, to
   * ``state[key]`` (a dotted key walks into nested objects). Runs on the whole
   * document once the DOM is ready; call it again for elements added later.
   *
   * @param {Element|Document} [root=document]
   * @throws {TypeError} When root is neither an Element nor a Document.
   */
  function bind(root) {
    var scope = root || document;
    if (typeof scope.querySelectorAll !== "function") {
      throw new TypeError("ShoutOut.bind() needs an Element or a Document, got " + String(root));
    }
    var selector = "[data-shoutout-id][data-shoutout-key]";
    var found = Array.from(scope.querySelectorAll(selector));
    if (scope.matches && scope.matches(selector)) {
      found.push(scope);
    }
    found.forEach(function (element) {
      var id = element.getAttribute("data-shoutout-id");
      if (!id) {
        return;
      }
      var binding = bindings.get(id);
      if (!binding) {
        binding = { elements: new Set(), subscription: null };
        bindings.set(id, binding);
        var token = element.getAttribute("data-shoutout-token");
        binding.subscription = subscribe(id, token ? { token: token } : {});
      }
      binding.elements.add(element);
      var entry = objects.get(id);
      if (entry && entry.state) {
        applyTo(element, entry.state.data);
      }
    });
  }

  /**
   * Return the last state handed to the page for ``id`` (the detail of the last
   * shoutout:state event), or null.
   *
   * @param {string} id
   * @returns {?{id: string, updateId: number, data: *, snapshot: boolean, expiresAt: ?number}}
   */
  function getState(id) {
    var entry = objects.get(id);
    return entry && entry.state ? entry.state : null;
  }

  /** @returns {boolean} Whether the WebSocket is open. */
  function isConnected() {
    return socketOpen;
  }

  window.ShoutOut = Object.freeze({
    subscribe: subscribe,
    update: update,
    publish: publish,
    bind: bind,
    getState: getState,
    isConnected: isConnected,
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      bind(document);
    });
  } else {
    bind(document);
  }
})();
