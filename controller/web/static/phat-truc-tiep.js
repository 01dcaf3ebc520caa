// The live page ("Phát trực tiếp"): microphone -> MediaRecorder (Opus, 100 ms chunks) -> the session's WebSocket.
// Why a WebSocket and not WebRTC: see controller/api/live.py. Nothing here runs inline (the console's CSP).
(function () {
  "use strict";
  var form = document.getElementById("phat-truc-tiep");
  if (!form) { return; }
  var startButton = document.getElementById("bat-dau");
  var stopButton = document.getElementById("ket-thuc");
  var status = document.getElementById("trang-thai");
  var communeSelect = document.getElementById("commune_code");
  var recorder = null, socket = null, stream = null, ended = false;

  function say(text) { status.textContent = text; }

  function showCommune() {
    var code = communeSelect.value;
    document.querySelectorAll(".chon-xa").forEach(function (block) {
      block.hidden = block.getAttribute("data-xa") !== code;
    });
  }
  communeSelect.addEventListener("change", showCommune);
  showCommune();

  function chosen(name) {
    var input = form.querySelector("input[name=" + name + "]:checked");
    return input ? input.value : "";
  }

  function formData() {
    var data = new FormData();
    var code = communeSelect.value;
    var target = chosen("target") || "commune";
    data.append("csrf_token", form.querySelector("input[name=csrf_token]").value);
    data.append("target", target);
    data.append("commune_code", code);
    var group = form.querySelector("select[name=hamlet_group][data-xa='" + code + "']");
    if (target === "group" && group) { data.append("hamlet_group", group.value); }
    if (target === "clusters") {
      form.querySelectorAll("input[name=clusters][data-xa='" + code + "']:checked").forEach(function (box) {
        data.append("clusters", box.value);
      });
    }
    var province = document.getElementById("province_code");
    if (target === "province" && province) { data.append("province_code", province.value); }
    data.append("title", document.getElementById("title").value);
    data.append("priority", chosen("priority") || "normal");
    var preEmpt = form.querySelector("input[name=pre_empt]");
    if (preEmpt && preEmpt.checked) { data.append("pre_empt", "1"); }
    return data;
  }

  function release() {
    if (recorder && recorder.state !== "inactive") { recorder.stop(); }
    if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
    recorder = null; stream = null;
    startButton.disabled = false;
    stopButton.disabled = true;
  }

  function mimeType() {
    var types = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus"];
    for (var i = 0; i < types.length; i++) {
      if (window.MediaRecorder && MediaRecorder.isTypeSupported(types[i])) { return types[i]; }
    }
    return "";
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!navigator.mediaDevices || !window.MediaRecorder || !mimeType()) {
      say("Trình duyệt này không ghi âm được bằng Opus. Hãy dùng Chrome, Firefox hoặc Edge bản mới.");
      return;
    }
    startButton.disabled = true;
    ended = false;
    say("Đang mở micrô…");
    navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true } })
      .then(function (media) {
        stream = media;
        window.loaxaMicrophoneAt = Date.now();  // when the microphone opened (tests time mouth to horn from it)
        say("Đang mở phiên phát…");
        return fetch(form.action, { method: "POST", body: formData(), credentials: "same-origin" });
      })
      .then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      })
      .then(function (answer) {
        if (!answer.ok) { throw new Error(answer.body.message || "Không bắt đầu được phiên phát."); }
        openSocket(answer.body);
      })
      .catch(function (error) {
        release();
        say(error && error.name === "NotAllowedError"
          ? "Chưa được phép dùng micrô. Hãy cho phép trang này dùng micrô rồi thử lại."
          : (error.message || "Không bắt đầu được phiên phát."));
      });
  });

  function openSocket(session) {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + session.audio_socket);
    form.setAttribute("data-phien", session.key);
    socket.addEventListener("open", function () {
      recorder = new MediaRecorder(stream, { mimeType: mimeType(), audioBitsPerSecond: 32000 });
      recorder.addEventListener("dataavailable", function (event) {
        if (event.data.size > 0 && socket && socket.readyState === WebSocket.OPEN) { socket.send(event.data); }
      });
      recorder.start(100);
      stopButton.disabled = false;
      say("Đang kết nối tới loa…");
    });
    socket.addEventListener("message", function (event) {
      var message = JSON.parse(event.data);
      if (message.type === "on_air") {
        say("Đang phát trực tiếp. Hãy nói vào micrô; bấm Kết thúc khi xong.");
        form.setAttribute("data-trang-thai", "dang-phat");
      } else if (message.type === "error") {
        ended = true;
        say(message.message);
        form.setAttribute("data-trang-thai", "loi");
      } else if (message.type === "ended") {
        ended = true;
        say("Đã kết thúc phát trực tiếp. Loa tiếp tục lịch phát.");
        form.setAttribute("data-trang-thai", "ket-thuc");
      }
    });
    socket.addEventListener("close", function () {
      if (!ended) {
        say("Mất kết nối với máy chủ; phiên phát sẽ tự kết thúc. Loa tiếp tục lịch phát.");
        form.setAttribute("data-trang-thai", "mat-ket-noi");
      }
      release();
    });
  }

  stopButton.addEventListener("click", function () {
    stopButton.disabled = true;
    say("Đang kết thúc…");
    if (recorder && recorder.state !== "inactive") { recorder.stop(); }
    // The last chunk is sent by the recorder's final dataavailable, then the stop.
    setTimeout(function () {
      if (socket && socket.readyState === WebSocket.OPEN) { socket.send(JSON.stringify({ type: "stop" })); }
    }, 200);
  });
})();
