"""The chat page's CSS and browser scripts, as strings for ``rag.ui``.

Colours come from Gradio's theme variables (``--body-text-color``,
``--background-fill-*``, ``--primary-*``, ``--neutral-*``), with a ``.dark`` block for
the few that need another shade in dark mode, so light and dark both read well
(tests/test_browser.py measures the contrast in both).

``PAGE_JS`` runs once per page: a citation link scrolls to its card (in the side
panel, or under the answer on a narrow screen), flashes it and moves focus to it;
the copy button copies the answer with its sources.  ``SAVE_JS`` / ``LOAD_JS`` keep
the conversation in this tab's ``sessionStorage`` so it survives a reload while other
tabs stay independent.  ``AFTER_ANSWER_JS`` scrolls the panel to the newest cards
and the chat (not the page) to the start of the new answer, and puts focus back in the box.
``COMMENT_JS`` moves focus to the comment box that a thumbs click opens.

What this module does not do: any server-side work.
"""

from __future__ import annotations

STORAGE_KEY = "anora-chat-v1"

PAGE_JS = """
if (!window.__anoraPage) {
  window.__anoraPage = true;
  const narrow = () => {
    const col = document.getElementById('sources-col');
    return !col || col.offsetParent === null;
  };
  document.addEventListener('click', (ev) => {
    const t = ev.target;
    const link = t.closest && t.closest('a.cite');
    if (link) {
      ev.preventDefault(); ev.stopPropagation();
      const id = (link.getAttribute('href') || '').slice(1);
      let card = document.getElementById(id);
      if (narrow() || !card) {  // a phone, or an answer older than the panel keeps
        const inline = document.getElementById('i' + id);
        if (inline) { card = inline; const d = inline.closest('details'); if (d) d.open = true; }
      }
      if (!card) return;
      card.scrollIntoView({behavior: 'smooth', block: 'nearest'});
      card.focus({preventScroll: true});
      card.classList.remove('flash'); void card.offsetWidth; card.classList.add('flash');
      return;
    }
    const copy = t.closest && t.closest('button.copy-answer');
    if (copy) {
      ev.preventDefault(); ev.stopPropagation();
      const text = copy.getAttribute('data-copy') || '';
      const done = () => { copy.textContent = 'Copied'; copy.classList.add('done');
        setTimeout(() => { copy.textContent = 'Copy'; copy.classList.remove('done'); }, 1500); };
      const fallback = () => { const a = document.createElement('textarea'); a.value = text;
        document.body.appendChild(a); a.select(); try { document.execCommand('copy'); } catch (e) {}
        a.remove(); done(); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, fallback);
      } else { fallback(); }
    }
  }, true);
  const label = () => {
    const box = document.querySelector('#question textarea');
    if (box && !box.getAttribute('aria-label')) box.setAttribute('aria-label', 'Your question');
    if (!box) setTimeout(label, 200);
  };
  label();
}
"""

SAVE_JS = f"""(saved) => {{
  try {{ sessionStorage.setItem('{STORAGE_KEY}', saved || '[]'); }} catch (e) {{}}
  return [];
}}"""

LOAD_JS = f"""() => {{
  let saved = '';
  try {{ saved = sessionStorage.getItem('{STORAGE_KEY}') || ''; }} catch (e) {{}}
  return [saved];
}}"""

AFTER_ASK_JS = """() => {
  setTimeout(() => {
    const users = document.querySelectorAll('#chat [data-testid=user]');
    const last = users[users.length - 1];
    if (last) last.scrollIntoView({block: 'start'});
  }, 50);
  return [];
}"""

# scroll the chat (not the page) so that the newest question is at its top
_TO_QUESTION = """
    const users = document.querySelectorAll('#chat [data-testid=user]');
    const last = users[users.length - 1];
    let box = last && last.parentElement;
    while (box && box !== document.body && !(box.scrollHeight > box.clientHeight + 1
           && getComputedStyle(box).overflowY !== 'visible')) box = box.parentElement;
    if (last && box && box !== document.body) {
      box.scrollTop += last.getBoundingClientRect().top - box.getBoundingClientRect().top - 8;
    }
"""

SCROLL_JS = "() => { setTimeout(() => {" + _TO_QUESTION + "}, 30); return []; }"

AFTER_ANSWER_JS = (
    """() => {
  setTimeout(() => {
    const panel = document.querySelector('#sources');
    if (panel) {
      for (const el of [panel, ...panel.querySelectorAll('*')]) {
        if (el.scrollHeight > el.clientHeight + 1 && getComputedStyle(el).overflowY !== 'visible') {
          el.scrollTop = 0;
        }
      }
    }"""
    + _TO_QUESTION
    + """
    const input = document.querySelector('#question textarea');
    if (input && !input.disabled) input.focus({preventScroll: true});
  }, 50);
  return [];
}"""
)

COMMENT_JS = """() => {
  setTimeout(() => {
    const box = document.querySelector('#feedback-comment textarea');
    if (box && box.offsetParent !== null) box.focus();
  }, 50);
  return [];
}"""

CSS = """
:root, .dark {
  --anora-accent: var(--primary-700); --anora-badge: var(--primary-700);
  --anora-mark-bg: var(--primary-100); --anora-mark-text: var(--neutral-900);
  --anora-card-bg: var(--background-fill-primary); --anora-card-border: var(--primary-200);
  --anora-text: var(--body-text-color); --anora-muted: var(--neutral-600);
  --anora-note-bg: var(--background-fill-secondary);
}
.dark {
  --anora-accent: var(--primary-300); --anora-badge: var(--primary-700);
  --anora-mark-bg: var(--primary-800); --anora-mark-text: var(--neutral-50);
  --anora-card-border: var(--primary-800); --anora-muted: var(--neutral-300);
}
.hero { background: linear-gradient(110deg, var(--primary-950), var(--primary-800) 55%,
  var(--primary-700)); color: #fff; border-radius: 14px; padding: 12px 22px; }
.hero h1 { margin: 0; font-size: 1.9rem; letter-spacing: .02em; color: #fff; }
.hero p, .hero em { margin: 4px 0 0; color: #fff; }
.side-title { margin: 4px 0 0; font-size: 1rem; letter-spacing: .08em; color: var(--anora-text); }
a.cite { color: var(--anora-accent) !important; font-weight: 700; text-decoration: none;
  font-size: .85em; vertical-align: super; padding: 0 1px; position: relative; }
a.cite:hover, a.cite:focus-visible { text-decoration: underline; }
a.cite[data-tip]:hover::after, a.cite[data-tip]:focus-visible::after {
  content: attr(data-tip); position: absolute; left: 0; top: 1.6em; z-index: 20;
  width: max-content; max-width: min(22rem, 70vw); white-space: normal; font-weight: 400;
  font-size: .8rem; line-height: 1.35; padding: 6px 8px; border-radius: 6px;
  background: var(--background-fill-primary); color: var(--anora-text);
  border: 1px solid var(--border-color-primary); box-shadow: 0 2px 8px rgba(0,0,0,.25);
  vertical-align: baseline; }
.cursor { color: var(--anora-muted); } .error { color: var(--anora-text); font-weight: 600; }
.abstained { color: var(--anora-muted); font-style: italic; }
.note { margin-top: 6px; font-size: .85em; color: var(--anora-text);
  background: var(--anora-note-bg); border-left: 3px solid var(--anora-accent);
  border-radius: 6px; padding: 3px 8px; }
.note details { display: inline; margin-left: 6px; } .note summary { cursor: pointer; }
.note details[open] { display: block; font-size: .9em; color: var(--anora-muted); }
button.copy-answer { margin-top: 6px; font-size: .78rem; padding: 1px 10px; border-radius: 999px;
  border: 1px solid var(--border-color-primary); background: var(--background-fill-secondary);
  color: var(--anora-text); cursor: pointer; }
button.copy-answer.done { border-color: var(--anora-accent); }
.examples { flex-wrap: wrap !important; gap: 6px !important; align-items: center; }
.examples > * { flex: 0 0 auto !important; min-width: 0 !important; width: auto !important; }
.examples button { font-size: .8rem !important; border-radius: 999px !important;
  padding: 4px 12px !important; white-space: nowrap; }
.examples .try { font-size: .8rem; color: var(--anora-muted); }
#question textarea:focus, #question textarea:focus-visible {
  outline: 3px solid var(--anora-accent) !important; outline-offset: 1px; }
a.cite:focus-visible, button:focus-visible, .card:focus, summary:focus-visible {
  outline: 3px solid var(--anora-accent) !important; outline-offset: 2px; }
.card, .inline-sources .card { border: 1px solid var(--anora-card-border);
  border-left: 4px solid var(--anora-badge); border-radius: 10px; padding: 10px 12px;
  margin: 0 0 10px; background: var(--anora-card-bg); color: var(--anora-text); }
#sources .empty { color: var(--anora-muted); padding: 24px 8px; text-align: center; }
#sources .turn-q { font-size: .95rem; margin: 2px 0 8px; color: var(--anora-text); }
#sources .turn-q span, .card .num { background: var(--anora-badge); color: #fff;
  font-size: .8rem; margin-right: 4px; }
#sources .turn-q span { border-radius: 6px; padding: 1px 6px; }
.card .num { border-radius: 50%; min-width: 22px; height: 22px; text-align: center;
  line-height: 22px; flex: none; }
#sources h4 { margin: 10px 0 6px; font-size: .9rem; color: var(--anora-muted); }
#sources .abstain .card { border-color: var(--border-color-primary);
  border-left-color: var(--neutral-400); }
.card header { display: flex; gap: 4px; align-items: baseline; font-weight: 600;
  color: var(--anora-text); }
.card .title { overflow-wrap: anywhere; white-space: normal; }
.card .meta { font-size: .78rem; color: var(--anora-muted); margin: 2px 0 6px; cursor: help; }
.card .meta code { color: var(--anora-muted); background: none; }
.card blockquote { margin: 0; padding: 0; border: none; font-size: .86rem; line-height: 1.45;
  white-space: pre-line; color: var(--anora-text); }
.card mark, #sources mark { background: var(--anora-mark-bg); color: var(--anora-mark-text);
  padding: 0 2px; border-radius: 3px; }
.card details { margin-top: 6px; font-size: .82rem; color: var(--anora-text); }
#sources .turn { margin-bottom: 14px; }
.card summary, .inline-sources > summary { cursor: pointer; color: var(--anora-accent); }
.card.flash { animation: flash 1.4s ease-out; }
@keyframes flash { 0% { box-shadow: 0 0 0 3px var(--anora-accent); } }
.inline-sources { display: none; margin-top: 8px; }
.answer-status { font-size: .85rem; color: var(--anora-muted); }
@media (max-width: 760px) {
  #sources-col { display: none !important; }
  .inline-sources { display: block; }
  .hero h1 { font-size: 1.4rem; }
}
"""
