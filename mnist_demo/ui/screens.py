"""Every screen in a classroom: the styles and the browser script for phones, tablets and the
projector, which the app shell (app.py through ui.screen_setup) adds to every page.

No Streamlit here, only text: CSS rules and one small script. They are tied to Streamlit
1.67.0's page structure (its `data-testid` attributes and the `st-key-<key>` classes of keyed
elements); tests/e2e/test_screens.py fails when an upgrade moves them.
"""

from __future__ import annotations

# Below this window width the layout is a phone's: Streamlit 1.67 stacks columns under 640 px,
# and the Explore grid and the Train charts switch to their narrow forms at the same width.
PHONE_WIDTH_PX = 640
# Below this width Streamlit's sidebar covers the page instead of sitting beside it (its "md"
# breakpoint), so the shell closes it once a page has been chosen.
SIDEBAR_OVERLAY_WIDTH_PX = 768

# Projector mode: the page's text is scaled from the browser's 16 px to this (Streamlit sizes its
# text in rem), which at 1280x720 keeps body text and labels readable from the back of a room.
PRESENTATION_ROOT_FONT_PX = 20
PRESENTATION_TEXT = "#000000"  # black on white: a washed-out projector still shows it
PRESENTATION_MUTED_TEXT = "#1f1f1f"  # captions and help, which Streamlit draws in light grey

# Streamlit's captions, widget labels and metric labels are grey (#31333f at 60 %), which a
# projector washes out; in projector mode they are drawn near-black and a little bolder.
_PRESENTATION_CSS = f"""
html {{ font-size: {PRESENTATION_ROOT_FONT_PX}px; }}
.stApp, .stApp [data-testid="stMarkdownContainer"], .stApp [data-testid="stWidgetLabel"] {{
  color: {PRESENTATION_TEXT};
}}
.stApp [data-testid="stCaptionContainer"], .stApp [data-testid="stMetricLabel"],
.stApp [data-testid="stMetricDelta"] {{
  color: {PRESENTATION_MUTED_TEXT}; font-weight: 500;
}}
.stApp [data-testid="stMetricValue"] {{ color: {PRESENTATION_TEXT}; font-weight: 700; }}
.stApp hr {{ border-bottom-color: #555555; }}
"""

# The app shell's element (the script below) shows nothing: its row in the sidebar is hidden so
# it leaves no gap.
_SHELL_CSS = """
[data-testid="stLayoutWrapper"]:has(> .st-key-screen_shell), .st-key-screen_shell {
  display: none;
}
"""

# The script of the app shell's component (Streamlit components v2 run it in the page itself):
# reports whether the window is phone-narrow (state "narrow") when the server does not know it
# yet (data.narrow) and whenever it changes, so Python can lay out for it (Explore's 4-column
# grid, stacked charts). A window the server already reads right is not reported: each report
# reruns the page, which cost a desktop's first visit a second full run when it came late.
SHELL_JS = """
export default function (component) {
  const { data, setStateValue, parentElement } = component;
  document.documentElement.lang = data.lang;  // also set by page_script; whichever runs first
  parentElement.mnistDemoNarrow ??= data.narrow;
  const report = () => {
    const narrow = window.innerWidth < data.phoneWidth;
    if (parentElement.mnistDemoNarrow !== narrow) {
      parentElement.mnistDemoNarrow = narrow;
      setStateValue("narrow", narrow);
    }
  };
  report();
  window.addEventListener("resize", report);
  return () => window.removeEventListener("resize", report);
}
"""

# Closes the sidebar after a page is picked in a window where the sidebar covers the page
# (Streamlit closes it only for browsers that call themselves mobile; a tablet or a narrow
# window would keep it open over the page, and a first drawing would land on it). A plain script,
# not the component's (whose code comes from the server later still), registered once per browser
# tab. Streamlit runs it only when it draws its element, which waits for the browser to load
# Streamlit's code for it: seconds after the page shows, on a busy server and on a quiet one alike
# (0.3-4 s measured), so a page is often picked before the script runs. It therefore watches the
# address, not the click: a new page is a new path (Streamlit's pushState, or Back/Forward), and a
# page picked before the script ran shows as a path other than the one the tab loaded (a click
# listener would miss every pick made before it was added).
_SIDEBAR_CLOSER_JS = f"""
if (!window.mnistDemoSidebarCloser) {{
  const closeIfNarrow = () => {{
    if (window.innerWidth >= {SIDEBAR_OVERLAY_WIDTH_PX}) return;
    const close = document.querySelector("[data-testid=stSidebarCollapseButton] button");
    const sidebar = document.querySelector("[data-testid=stSidebar]");
    if (close && sidebar && sidebar.getAttribute("data-collapsed") !== "true") close.click();
  }};
  let path = window.location.pathname;
  window.mnistDemoSidebarCloser = () => {{
    if (window.location.pathname === path) return;
    path = window.location.pathname;
    setTimeout(closeIfNarrow, 0);
  }};
  for (const name of ["pushState", "replaceState"]) {{
    const original = history[name];
    history[name] = function (...args) {{
      const result = original.apply(this, args);
      window.mnistDemoSidebarCloser();
      return result;
    }};
  }}
  window.addEventListener("popstate", window.mnistDemoSidebarCloser);
  const loaded = performance.getEntriesByType("navigation")[0];
  if (loaded && new URL(loaded.name).pathname !== path) closeIfNarrow();
}}
"""


def shell_data(lang: str, narrow: bool = False) -> dict:
    """The data the shell's script gets on every run; narrow is what the server believes."""
    return {"lang": lang, "phoneWidth": PHONE_WIDTH_PX, "narrow": narrow}


def lang_script(lang: str) -> str:
    """<html lang> in the page's language, for screen readers, hyphenation and fonts. A plain
    script, not the component's: a component's code is fetched from the server, which answered
    only after a page's slow first run (Train's, 20 s on a busy machine)."""
    if not lang.isalpha():
        raise ValueError(f"a language code is letters only, got {lang!r}")
    return f'<script>document.documentElement.lang = "{lang}";</script>'


def page_script(lang: str) -> str:
    """The plain scripts every page runs as soon as it shows: <html lang> and the sidebar
    closer of narrow windows."""
    return lang_script(lang) + f"<script>{_SIDEBAR_CLOSER_JS}</script>"


def page_css(presentation: bool) -> str:
    """The style rules every page gets: the shell's, and projector mode's when it is on."""
    return _SHELL_CSS + (_PRESENTATION_CSS if presentation else "")


def tab_title(app_title: str, page_title: str) -> str:
    """The browser tab's title: the app, then the page ("MNIST 데모 · 그리기")."""
    return f"{app_title} · {page_title}"
