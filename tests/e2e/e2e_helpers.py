"""Helpers for the browser tests: wait for Streamlit, check for exceptions, read the canvas."""


def wait_for_app(page, timeout: float = 60_000) -> None:
    """Wait until Streamlit has rendered the page and finished running its script."""
    page.wait_for_selector('[data-testid="stMain"]', timeout=timeout)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && document.querySelectorAll('[data-testid=\"stMainBlockContainer\"] *').length > 3",
        timeout=timeout,
    )


def assert_no_exception(page) -> None:
    """Fail if Streamlit shows an exception box on the page."""
    exceptions = page.locator('[data-testid="stException"]')
    assert exceptions.count() == 0, exceptions.first.inner_text()


def canvas_ink(page) -> int:
    """Bright pixels on the canvas, as the browser shows it."""
    return page.evaluate(
        """() => {
          const host = '.st-key-draw_canvas [data-testid=stBidiComponentIsolated]';
          let ink = 0;
          for (const canvas of document.querySelector(host).shadowRoot.querySelectorAll('canvas')) {
            const { width, height } = canvas;
            const pixels = canvas.getContext('2d').getImageData(0, 0, width, height).data;
            for (let i = 0; i < pixels.length; i += 4) if (pixels[i] > 128) ink++;
          }
          return ink;
        }"""
    )
