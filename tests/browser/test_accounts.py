"""Sign up, confirm from the outbox, log in; reset a forgotten password — in Chromium."""

import re

from playwright.sync_api import expect

from tests.conftest import link_in, outbox

pytestmark = __import__("pytest").mark.browser


def test_signup_verify_login(app, page):
    page.goto("/")
    page.get_by_role("link", name="Sign up").first.click()
    page.get_by_label("Full name").fill("Amina Diallo")
    page.get_by_label("Email").fill("amina@example.org")
    page.get_by_label("Password", exact=True).fill("a-long-password")
    page.get_by_label("Repeat password").fill("a-long-password")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    [message] = outbox(app, "amina@example.org")
    page.goto(link_in(message))
    expect(page.get_by_text("Your email address is confirmed")).to_be_visible()
    page.get_by_label("Email").fill("amina@example.org")
    page.get_by_label("Password").fill("a-long-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Welcome, Amina Diallo.")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_signup_shows_errors_beside_fields_and_keeps_input(page):
    page.goto("/account/signup")
    page.get_by_label("Full name").fill("Kept Name")
    page.get_by_label("Email").fill("not-an-email")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_label("Repeat password").fill("short")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_text("Enter a valid email address.")).to_be_visible()
    expect(page.get_by_label("Full name")).to_have_value("Kept Name")
    expect(page.get_by_label("Email")).to_have_attribute("aria-invalid", "true")


def test_reset_forgotten_password(app, page, make_user):
    make_user("forgetful@example.org", "Forgetful Person")
    page.goto("/account/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill("forgetful@example.org")
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    [message] = outbox(app, "forgetful@example.org")
    page.goto(link_in(message))
    page.get_by_label("New password", exact=True).fill("my-new-password-1")
    page.get_by_label("Repeat new password").fill("my-new-password-1")
    page.get_by_role("button", name="Save new password").click()
    expect(page.get_by_text("Your password has been changed")).to_be_visible()
    page.get_by_label("Email").fill("forgetful@example.org")
    page.get_by_label("Password").fill("my-new-password-1")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Welcome, Forgetful Person.")).to_be_visible()
    # The link was single-use.
    page.goto(link_in(message))
    expect(page.get_by_role("heading", name="This link cannot be used")).to_be_visible()


def test_language_switcher_and_rtl(page):
    page.goto("/")
    page.get_by_label("Language").select_option("ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.get_by_label(re.compile("Language|اللغة")).select_option("zh")
    expect(page.locator("html")).to_have_attribute("lang", "zh")
