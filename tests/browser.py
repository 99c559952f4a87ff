"""A real headless Chromium (Debian's `chromium` package, installed by `make browser`) driven by
Playwright. No browser is ever downloaded: Playwright only drives the machine's own binary."""

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from playwright.async_api import Page, async_playwright


def chromium_path() -> str:
    path = shutil.which("chromium")
    assert path, "Debian's chromium is not installed: run `make browser` (part of `make test`)"
    return path


@asynccontextmanager
async def chromium_page() -> AsyncIterator[Page]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path(), args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
        )
        try:
            yield await browser.new_page()
        finally:
            await browser.close()
