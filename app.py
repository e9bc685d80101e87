"""MNIST demo: routes to the Home, Explore, Train and Draw pages."""

from pathlib import Path

import streamlit as st

from mnist_demo import quiet_logs, ui
from mnist_demo.ui import static_files, streamlit_fixes

quiet_logs.install()  # closed tabs and one-trace-per-model are not errors (once per process)
# Once per process: a stroke's rerun on a busy server no longer leaves a white page, and a class's
# browsers download the frontend from memory.
streamlit_fixes.drop_nested_fragment_messages_on_rerun()
static_files.serve_from_memory()

# A local icon (train_images[4], the chapter's 9): a Material icon favicon is fetched from
# fonts.gstatic.com, which an offline classroom cannot reach.
ICON = Path(__file__).parent / "mnist_demo" / "assets" / "icon.png"
st.set_page_config(page_icon=str(ICON), layout="wide")
ui.language_selector()
ui.presentation_switch()
st.sidebar.caption(ui.t("common.sidebar.book"))
ui.data_file_notice()  # a MNIST_DEMO_DATA file that could not be used, on every page

pages = [
    st.Page("pages/home.py", title=ui.t("common.nav.home"), icon=":material/home:", default=True),
    st.Page(
        "pages/explore.py",
        title=ui.t("common.nav.explore"),
        icon=":material/grid_view:",
        url_path="explore",
    ),
    st.Page(
        "pages/train.py",
        title=ui.t("common.nav.train"),
        icon=":material/model_training:",
        url_path="train",
    ),
    st.Page(
        "pages/draw.py", title=ui.t("common.nav.draw"), icon=":material/draw:", url_path="draw"
    ),
]
page = st.navigation(pages)
ui.screen_setup(page.title)
page.run()
ui.keep_libraries_out_of_gc()  # after the page, which may have imported TensorFlow
