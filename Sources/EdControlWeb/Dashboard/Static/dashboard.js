// EdControl dashboard: live job progress and the upload form. Plain script, no build step;
// every page works without it except uploading.
(function () {
  'use strict';
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content;
  const words = id => { const el = document.getElementById(id); return el ? JSON.parse(el.textContent) : {}; };

  // Bars and meters: their widths come as data-percent, since the pages' security policy
  // refuses inline style attributes.
  document.querySelectorAll('[data-percent]').forEach(bar => { bar.style.width = bar.dataset.percent + '%'; });

  // Forms that cannot be undone ask first.
  document.querySelectorAll('form[data-confirm]').forEach(form => form.addEventListener('submit', event => {
    if (!confirm(form.dataset.confirm)) event.preventDefault();
  }));

  // A deep-linking answer goes back to the LMS at once.
  document.querySelectorAll('form[data-autosubmit]').forEach(form => form.submit());
  // A finished dynamic registration tells the LMS to close its frame or window (LTI DR §3.7).
  if (document.querySelector('[data-lti-close]')) (window.opener || window.parent).postMessage({ subject: 'org.imsglobal.lti.close' }, '*');

  // Live progress: every element with data-job polls its job until it finishes.
  const live = words('live-text');
  document.querySelectorAll('[data-job]').forEach(function (status) {
    const bar = status.querySelector('.progress'), text = status.querySelector('.status-text');
    async function poll() {
      try {
        const response = await fetch('/api/v1/jobs/' + status.dataset.job, {credentials: 'same-origin'});
        if (!response.ok) return setTimeout(poll, 5000);
        const job = await response.json(), percent = Math.round(job.progress * 100);
        bar.setAttribute('aria-valuenow', percent);
        bar.firstElementChild.style.width = percent + '%';
        status.className = 'status status-' + job.state;
        if (job.state === 'running') text.textContent = (live[job.stage] || live.running) + ' · ' + percent + ' %';
        else text.textContent = (live[job.state] || job.state) + (job.state === 'failed' && job.lastError ? ': ' + job.lastError : '');
        if (job.state === 'succeeded' || job.state === 'failed' || job.state === 'cancelled') {
          // The page's figures (flag, incidents, report) come with a reload.
          setTimeout(() => location.reload(), 800);
        } else {
          setTimeout(poll, 1000);
        }
      } catch (e) { setTimeout(poll, 5000); }
    }
    setTimeout(poll, 500);
  });

  // Upload: the file goes as the request body to the API, with a progress bar.
  const form = document.getElementById('upload-form');
  if (!form) return;
  const text = words('upload-text'), message = document.getElementById('upload-message'),
        progress = document.getElementById('upload-progress'), button = document.getElementById('upload-button');
  function say(words, failed) { message.textContent = words; message.className = failed ? 'failed' : ''; }
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    const file = document.getElementById('upload-file').files[0];
    if (!file) return;
    if (file.size > +form.dataset.maxBytes) return say(text.tooLarge, true);
    // Percent-encoded (not URLSearchParams, whose '+' for a space the API keeps as '+').
    const fields = {filename: file.name, title: document.getElementById('upload-title-input').value.trim(),
                    teacherId: document.getElementById('upload-teacher').value, recordedAt: document.getElementById('upload-date').value,
                    transcription: document.getElementById('upload-transcription').value};
    const query = Object.entries(fields).filter(([, value]) => value).map(([name, value]) => name + '=' + encodeURIComponent(value)).join('&');
    const request = new XMLHttpRequest();
    request.open('POST', '/api/v1/lessons?' + query);
    request.setRequestHeader('X-CSRF-Token', csrf);
    request.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
    progress.hidden = false;
    button.disabled = true;
    request.upload.onprogress = e => {
      if (!e.lengthComputable) return;
      const percent = Math.round(e.loaded / e.total * 100);
      progress.firstElementChild.style.width = percent + '%';
      progress.setAttribute('aria-valuenow', percent);
      say(percent < 100 ? text.uploading + ' ' + percent + ' %' : text.checking);
    };
    request.onload = () => {
      button.disabled = false;
      if (request.status === 201) {
        say(text.done);
        location.href = '/lessons';
        return;
      }
      let reason = request.statusText;
      try { reason = JSON.parse(request.responseText).error.message; } catch (e) {}
      progress.hidden = true;
      say(text.failed + ' ' + reason, true);
    };
    request.onerror = () => { button.disabled = false; progress.hidden = true; say(text.failed, true); };
    request.send(file);
  });
})();
