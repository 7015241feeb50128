"""Video messages and playlists through the client: submission (files, links, every bad
input), the list, one message with its review (mail, audit), the file itself, and the
playlists with their downloads; each route for the organizer, a co-chair of the
message's area, a co-chair of another area, a participant and an anonymous visitor.

Uploads go to a temporary folder (VIDEO_UPLOAD_DIR), never the instance folder.
"""

from __future__ import annotations

import io
import re
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import select

from models import (
    AuditEntry,
    BlockKind,
    Event,
    FocusArea,
    Person,
    ProgrammeBlock,
    Room,
    Screen,
    User,
    VideoMessage,
    VideoState,
)
from sessions.core import ensure_focus_areas
from tests.conftest import PASSWORD, outbox
from webapp.extensions import db

MP4 = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + b"\x00" * 4000
WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm" + b"\x00" * 4000
TEXT = b"This is a text file that someone renamed.\n" * 50


@pytest.fixture
def uploads(app, tmp_path, monkeypatch):
    """Uploads in a temporary folder for this test."""
    folder = tmp_path / "videos"
    monkeypatch.setitem(app.config, "VIDEO_UPLOAD_DIR", str(folder))
    return folder


def stored_files(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.fixture
def world(app, make_user, make_event, uploads):
    """Event A with its areas, an organizer, co-chairs of ACCESS and ADOPTION, a
    participant linked to the directory, one who is not, a minister in the directory;
    event B with its own organizer."""
    event_id = make_event("VM-A")
    other_id = make_event("VM-B")
    make_user("org@x.org", "Olga Organizer", organizer_of=event_id)
    make_user("access@x.org", "Ann Access", cochair_of=(event_id, "ACCESS"))
    make_user("adoption@x.org", "Abe Adoption", cochair_of=(event_id, "ADOPTION"))
    make_user("part@x.org", "Pia Participant")
    make_user("unlinked@x.org", "Una Unlinked")
    make_user("orgb@x.org", "Bob Other", organizer_of=other_id)
    with app.app_context():
        areas = {a.code: a.id for a in ensure_focus_areas(db.session.get(Event, event_id))}
        other_areas = {a.code: a.id for a in ensure_focus_areas(db.session.get(Event, other_id))}
        users = {u.email: u.id for u in db.session.scalars(select(User))}
        part = Person(first_name="Pia", last_name="Participant", email="part@x.org")
        part.user_id = users["part@x.org"]
        minister = Person(
            honorific="H.E.", first_name="Mina", last_name="Minister", email="minister@x.org"
        )
        db.session.add_all([part, minister])
        db.session.commit()
        return {
            "event": event_id,
            "other": other_id,
            "areas": areas,
            "other_areas": other_areas,
            "users": users,
            "part": part.id,
            "minister": minister.id,
            "uploads": uploads,
        }


def client_for(app, email=None):
    """A test client, logged in as `email` (anonymous without)."""
    client = app.test_client()
    if email:
        response = client.post("/account/login", data={"email": email, "password": PASSWORD})
        assert response.status_code == 302
    return client


def make_video(
    app,
    world,
    *,
    state=VideoState.SUBMITTED,
    area=None,
    person="minister",
    submitted_by="org@x.org",
    seconds=60,
    title="A message",
    event="event",
    file_bytes=None,
):
    """A stored message (with a file in the upload folder if `file_bytes`)."""
    with app.app_context():
        video = VideoMessage(
            event_id=world[event],
            person_id=world[person],
            focus_area_id=world["areas" if event == "event" else "other_areas"][area]
            if area
            else None,
            title=title,
            duration_seconds=seconds,
            language="fr",
            transcript="Bonjour à toutes et à tous.",
            state=state,
            submitted_by_id=world["users"][submitted_by] if submitted_by else None,
            url="" if file_bytes else "https://videos.example.org/m.mp4",
        )
        if file_bytes:
            world["uploads"].mkdir(parents=True, exist_ok=True)
            video.file_name = f"{title.replace(' ', '')[:20]}abc.mp4"
            video.content_type = "video/mp4"
            video.original_name = "message.mp4"
            video.size_bytes = len(file_bytes)
            (world["uploads"] / video.file_name).write_bytes(file_bytes)
        db.session.add(video)
        db.session.commit()
        return video.id


def status_of(client, url, **kwargs):
    """The status of a GET, its body (a file) closed."""
    with client.get(url, **kwargs) as response:
        return response.status_code


def stored(app, video_id):
    with app.app_context():
        video = db.session.get(VideoMessage, video_id)
        if video is not None:
            db.session.expunge(video)
        return video


def all_videos(app):
    with app.app_context():
        return list(db.session.scalars(select(VideoMessage).order_by(VideoMessage.id)))


def form(**changes):
    """A complete submission (a link unless changed)."""
    data = {
        "title": "Connecting the last billion",
        "focus_area": "",
        "url": "https://videos.example.org/minister.mp4",
        "duration": "2:30",
        "language": "fr",
        "transcript": "Mesdames et Messieurs, bonjour.",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def video_file(data=MP4, name="message.mp4", content_type="video/mp4"):
    return (io.BytesIO(data), name, content_type)


def new_url(world, event="event"):
    return f"/events/{world[event]}/p2c/videos/new"


# --- submission -------------------------------------------------------------------------


def test_organizer_uploads_a_file_on_behalf_of_a_directory_person(app, world):
    client = client_for(app, "org@x.org")
    page = client.get(new_url(world)).get_data(as_text=True)
    assert 'name="person_email"' in page and 'enctype="multipart/form-data"' in page
    response = client.post(
        new_url(world),
        data=form(
            person_email="Minister@X.org",
            url="",
            file=video_file(),
            focus_area=str(world["areas"]["ACCESS"]),
        ),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    (video,) = all_videos(app)
    assert response.headers["Location"].endswith(f"/p2c/videos/{video.id}")
    assert video.person_id == world["minister"] and video.state == VideoState.SUBMITTED
    assert video.duration_seconds == 150 and video.language == "fr"
    assert video.focus_area_id == world["areas"]["ACCESS"]
    assert video.content_type == "video/mp4" and video.original_name == "message.mp4"
    assert video.size_bytes == len(MP4) and video.url == ""
    # Stored under a random name, never the client's.
    assert stored_files(world["uploads"]) == [video.file_name]
    assert video.file_name != "message.mp4" and video.file_name.endswith(".mp4")
    assert (world["uploads"] / video.file_name).read_bytes() == MP4
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "(message.mp4, 0.0 MB)" in detail  # the size through the translated "%(size)s MB"
    with app.app_context():
        assert (
            db.session.scalar(
                select(AuditEntry.action).where(
                    AuditEntry.object_type == "videomessage", AuditEntry.object_id == video.id
                )
            )
            == "video.submitted"
        )


def test_cochair_submits_a_webm_for_someone_and_for_themselves_needs_a_person(app, world):
    client = client_for(app, "access@x.org")
    page = client.get(new_url(world)).get_data(as_text=True)
    assert 'name="person_email"' in page
    response = client.post(
        new_url(world),
        data=form(
            url="", file=video_file(WEBM, "m.webm", "video/webm"), person_email="minister@x.org"
        ),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    (video,) = all_videos(app)
    assert video.content_type == "video/webm" and video.file_name.endswith(".webm")
    # Without an email, "yourself": the co-chair has no directory person.
    response = client.post(new_url(world), data=form(person_email=""))
    assert response.status_code == 400
    assert "not linked to a directory person" in response.get_data(as_text=True)
    unknown = client.post(new_url(world), data=form(person_email="nobody@x.org"))
    assert unknown.status_code == 400
    assert "No one in the directory has this email address" in unknown.get_data(as_text=True)
    assert len(all_videos(app)) == 1


def test_participant_submits_their_own_link_only(app, world):
    client = client_for(app, "part@x.org")
    page = client.get(new_url(world)).get_data(as_text=True)
    assert 'name="person_email"' not in page and "Pia Participant" in page
    # A person_email sent anyway is ignored: participants speak for themselves.
    response = client.post(new_url(world), data=form(person_email="minister@x.org"))
    assert response.status_code == 302
    (video,) = all_videos(app)
    assert video.person_id == world["part"] and video.url.endswith("minister.mp4")
    assert video.submitted_by_id == world["users"]["part@x.org"]
    assert stored_files(world["uploads"]) == []


def test_participant_without_a_directory_person_is_told_whom_to_ask(app, world):
    client = client_for(app, "unlinked@x.org")
    page = client.get(new_url(world))
    assert page.status_code == 200
    assert "your account is not linked to one yet" in page.get_data(as_text=True)
    response = client.post(new_url(world), data=form())
    assert response.status_code == 403
    assert "Ask the organizers" in response.get_data(as_text=True)
    # An organizer of another event is a participant here.
    assert client_for(app, "orgb@x.org").post(new_url(world), data=form()).status_code == 403
    assert all_videos(app) == []


def test_anonymous_is_sent_to_log_in(app, world):
    client = client_for(app)
    response = client.get(new_url(world))
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    assert client.post(new_url(world), data=form()).status_code == 302
    assert client.get("/events/999999/p2c/videos/new").status_code == 302
    assert client_for(app, "org@x.org").get("/events/999999/p2c/videos/new").status_code == 404


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"file": video_file(TEXT)}, "its content does not match"),
        ({"file": video_file(TEXT, "notes.txt", "text/plain")}, "Choose an MP4"),
        ({"file": video_file(MP4, "m.mp4", "text/html")}, "sent as text/html"),
        ({"file": video_file(b"")}, "The file is empty"),
        ({"file": video_file(WEBM, "m.mp4")}, "its content does not match"),
    ],
)
def test_refused_files_keep_the_other_fields(app, world, changes, message):
    client = client_for(app, "part@x.org")
    response = client.post(
        new_url(world), data=form(url="", **changes), content_type="multipart/form-data"
    )
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert message in body
    assert 'value="Connecting the last billion"' in body and "Mesdames et Messieurs" in body
    assert 'value="2:30"' in body
    assert all_videos(app) == [] and stored_files(world["uploads"]) == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"file": video_file()}, "Give either a file or a link, not both."),
        ({"url": ""}, "Upload a video file or give a link to it."),
        ({"url": "ftp://x.org/m.mp4"}, "Give a web address starting with https://"),
        ({"url": "javascript:alert(1)"}, "Give a web address starting with https://"),
        ({"url": "https://x.org/" + "a" * 600}, "Field cannot be longer than 500 characters."),
        ({"duration": ""}, "Give the length of the message"),
        ({"duration": "45:00"}, "from 1 second to 30 minutes"),
        ({"duration": "0"}, "from 1 second to 30 minutes"),
        ({"duration": "1:99"}, "Seconds go from 00 to 59"),
        ({"duration": "soon"}, "minutes:seconds"),
        ({"transcript": ""}, "Give the transcript"),
        ({"transcript": "x" * 50_001}, "Field cannot be longer than 50000 characters."),
        ({"title": ""}, "Give the message a title."),
        ({"title": "t" * 301}, "Field cannot be longer than 300 characters."),
        ({"language": "de"}, "Choose one of the six UN languages."),
        ({"focus_area": "999999"}, "Choose one of the event&#39;s focus areas."),
        ({"focus_area": "abc"}, "Choose one of the event&#39;s focus areas."),
        ({"focus_area": "9" * 30}, "Choose one of the event&#39;s focus areas."),
        ({"focus_area": "-1"}, "Choose one of the event&#39;s focus areas."),
    ],
)
def test_bad_inputs_are_400_with_the_message_beside_the_field(app, world, changes, message):
    client = client_for(app, "part@x.org")
    response = client.post(new_url(world), data=form(**changes), content_type="multipart/form-data")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert all_videos(app) == [] and stored_files(world["uploads"]) == []


def test_focus_areas_seeded_on_the_first_visit_keep_their_ids(app, world, make_event):
    """Areas the form offers before any page seeded them are stored, so a choice made on
    the page, even after a refused submission, is still the event's."""
    fresh = make_event("VM-NEW")
    client = client_for(app, "part@x.org")
    url = f"/events/{fresh}/p2c/videos/new"
    page = client.get(url).get_data(as_text=True)
    area_id = re.search(r'<option value="(\d+)">ACCESS', page).group(1)
    refused = client.post(url, data=form(focus_area=area_id, duration="soon"))
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    area_id = re.search(r'<option selected value="(\d+)">ACCESS', page).group(1)
    assert client.post(url, data=form(focus_area=area_id)).status_code == 302
    with app.app_context():
        area = db.session.get(FocusArea, int(area_id))
        assert (area.event_id, area.code) == (fresh, "ACCESS")


def test_another_events_focus_area_is_refused(app, world):
    client = client_for(app, "org@x.org")
    response = client.post(
        new_url(world),
        data=form(person_email="minister@x.org", focus_area=str(world["other_areas"]["ACCESS"])),
    )
    assert response.status_code == 400
    assert "Choose one of the event&#39;s focus areas." in response.get_data(as_text=True)


def test_oversized_file_is_413_with_the_fields_kept(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "VIDEO_MAX_BYTES", 2000)
    client = client_for(app, "part@x.org")
    response = client.post(
        new_url(world), data=form(url="", file=video_file(MP4)), content_type="multipart/form-data"
    )
    assert response.status_code == 413
    body = response.get_data(as_text=True)
    assert "The file is too large: a video may be at most" in body
    assert 'value="Connecting the last billion"' in body
    assert all_videos(app) == [] and stored_files(world["uploads"]) == []


def test_request_far_over_the_limit_is_refused_unread(app, world, monkeypatch):
    from sessions.views.videos import FORM_SLACK

    monkeypatch.setitem(app.config, "VIDEO_MAX_BYTES", 2000)
    client = client_for(app, "part@x.org")
    big = MP4 + b"\x00" * (FORM_SLACK + 10_000)
    response = client.post(
        new_url(world), data=form(url="", file=video_file(big)), content_type="multipart/form-data"
    )
    assert response.status_code == 413
    body = response.get_data(as_text=True)
    assert "The file is too large" in body and 'name="title"' in body
    assert all_videos(app) == [] and stored_files(world["uploads"]) == []


def test_the_default_limit_allows_more_than_max_content_length(app, world):
    """A file over Flask's MAX_CONTENT_LENGTH (16 MB) but under VIDEO_MAX_BYTES is kept."""
    client = client_for(app, "part@x.org")
    big = MP4 + b"\x00" * (app.config["MAX_CONTENT_LENGTH"] + 1024)
    response = client.post(
        new_url(world), data=form(url="", file=video_file(big)), content_type="multipart/form-data"
    )
    assert response.status_code == 302
    (video,) = all_videos(app)
    assert video.size_bytes == len(big)
    assert (world["uploads"] / video.file_name).stat().st_size == len(big)


def test_with_csrf_on_the_form_checks_its_token_after_raising_the_limit(app, world, monkeypatch):
    """The page is exempt from the global CSRF hook (which would read the body under
    MAX_CONTENT_LENGTH); its form checks the token itself."""
    client = client_for(app, "part@x.org")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    forged = client.post(new_url(world), data=form(), content_type="multipart/form-data")
    assert forged.status_code == 400 and "The form expired" in forged.get_data(as_text=True)
    page = client.get(new_url(world)).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    big = MP4 + b"\x00" * (app.config["MAX_CONTENT_LENGTH"] + 1024)
    response = client.post(
        new_url(world),
        data=form(url="", file=video_file(big), csrf_token=token),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert len(stored_files(world["uploads"])) == 1


def test_file_is_removed_when_the_record_cannot_be_saved(app, world, monkeypatch):
    from webapp import audit

    def broken(*args, **kwargs):
        raise RuntimeError("database gone")

    client = client_for(app, "part@x.org")
    monkeypatch.setattr(audit, "record", broken)
    response = client.post(
        new_url(world), data=form(url="", file=video_file()), content_type="multipart/form-data"
    )
    assert response.status_code == 500
    assert stored_files(world["uploads"]) == [] and all_videos(app) == []


def test_file_is_removed_when_the_commit_fails(app, world, monkeypatch):
    client = client_for(app, "part@x.org")

    def broken():
        raise RuntimeError("commit failed")

    monkeypatch.setattr(db.session, "commit", broken)
    response = client.post(
        new_url(world), data=form(url="", file=video_file()), content_type="multipart/form-data"
    )
    monkeypatch.undo()
    assert response.status_code == 500
    assert stored_files(world["uploads"]) == [] and all_videos(app) == []


# --- list -------------------------------------------------------------------------------


@pytest.fixture
def videos(app, world):
    """Messages of event A: submitted in ACCESS and in ADOPTION, approved in ADOPTION,
    the participant's own, rejected; one of event B."""
    return {
        "access": make_video(app, world, area="ACCESS", title="Access message"),
        "adoption": make_video(app, world, area="ADOPTION", title="Adoption message"),
        "approved": make_video(
            app, world, area="ADOPTION", title="Approved message", state=VideoState.APPROVED
        ),
        "own": make_video(
            app, world, person="part", submitted_by="part@x.org", title="Pia message"
        ),
        "rejected": make_video(app, world, title="Rejected message", state=VideoState.REJECTED),
        "other": make_video(
            app, world, event="other", submitted_by="orgb@x.org", title="Other event message"
        ),
    }


TITLES = [
    "Access message",
    "Adoption message",
    "Approved message",
    "Pia message",
    "Rejected message",
    "Other event message",
]


@pytest.mark.parametrize(
    ("email", "visible"),
    [
        (
            "org@x.org",
            {
                "Access message",
                "Adoption message",
                "Approved message",
                "Pia message",
                "Rejected message",
            },
        ),
        ("access@x.org", {"Access message", "Approved message"}),
        ("adoption@x.org", {"Adoption message", "Approved message"}),
        ("part@x.org", {"Pia message"}),
        ("unlinked@x.org", set()),
        ("orgb@x.org", set()),
    ],
)
def test_list_shows_each_role_its_messages(app, world, videos, email, visible):
    client = client_for(app, email)
    response = client.get(f"/events/{world['event']}/p2c/videos")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert {t for t in TITLES if t in body} == visible
    for title in visible:
        # Every row links to the message's page.
        key = next(k for k, v in videos.items() if stored(app, v).title == title)
        assert f'/p2c/videos/{videos[key]}"' in body


def test_list_filters_by_state_with_counts(app, world, videos):
    client = client_for(app, "org@x.org")
    body = client.get(f"/events/{world['event']}/p2c/videos").get_data(as_text=True)
    assert "Awaiting approval: 3" in body and "Approved: 1" in body
    assert "Rejected: 1" in body and "All states: 5" in body
    approved = client.get(f"/events/{world['event']}/p2c/videos?state=approved")
    assert "Approved message" in approved.get_data(as_text=True)
    assert "Access message" not in approved.get_data(as_text=True)
    bogus = client.get(f"/events/{world['event']}/p2c/videos?state=bogus&page=99999999999999")
    assert bogus.status_code == 200


def test_list_needs_a_login(app, world):
    response = client_for(app).get(f"/events/{world['event']}/p2c/videos")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    assert client_for(app, "org@x.org").get("/events/999999/p2c/videos").status_code == 404


# --- detail and review -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "key", "status"),
    [
        ("org@x.org", "access", 200),
        ("org@x.org", "other", 404),
        ("access@x.org", "access", 200),
        ("access@x.org", "adoption", 404),
        ("access@x.org", "approved", 200),
        ("adoption@x.org", "access", 404),
        ("part@x.org", "own", 200),
        ("part@x.org", "access", 404),
        ("orgb@x.org", "access", 404),
    ],
)
def test_detail_per_role(app, world, videos, email, key, status):
    client = client_for(app, email)
    response = client.get(f"/events/{world['event']}/p2c/videos/{videos[key]}")
    assert response.status_code == status
    if status == 200:
        body = response.get_data(as_text=True)
        assert stored(app, videos[key]).title in body
        assert "Bonjour à toutes et à tous." in body  # the transcript
        assert ('name="decision"' in body) == (email == "org@x.org")
        submitter = "Pia Participant" if key == "own" else "Olga Organizer"
        assert f"— {submitter}</dd>" in body


def test_other_events_message_is_404_under_its_own_event_too(app, world, videos):
    client = client_for(app, "org@x.org")
    assert client.get(f"/events/{world['other']}/p2c/videos/{videos['other']}").status_code == 404
    assert client.get(f"/events/{world['event']}/p2c/videos/999999").status_code == 404
    response = client_for(app).get(f"/events/{world['event']}/p2c/videos/{videos['access']}")
    assert response.status_code == 302


def test_organizer_approves_then_rejects_with_mail_and_audit(app, world, videos):
    client = client_for(app, "org@x.org")
    url = f"/events/{world['event']}/p2c/videos/{videos['own']}"
    response = client.post(url, data={"decision": "approve", "note": ""})
    assert response.status_code == 302
    video = stored(app, videos["own"])
    assert video.state == VideoState.APPROVED and video.reviewed_at is not None
    assert video.reviewed_by_id == world["users"]["org@x.org"]
    (mail,) = outbox(app, "part@x.org")
    assert mail.subject == "Your video message “Pia message” is approved"
    assert f"/events/{world['event']}/p2c/videos/{videos['own']}" in mail.body_text
    again = client.post(url, data={"decision": "approve"})
    assert again.status_code == 409
    no_note = client.post(url, data={"decision": "reject", "note": "  "})
    assert no_note.status_code == 400
    assert "Say why: the submitter reads this note." in no_note.get_data(as_text=True)
    assert stored(app, videos["own"]).state == VideoState.APPROVED
    response = client.post(url, data={"decision": "reject", "note": "Sound is <b>too low</b>."})
    assert response.status_code == 302
    video = stored(app, videos["own"])
    assert video.state == VideoState.REJECTED and video.review_note == "Sound is <b>too low</b>."
    mail = outbox(app, "part@x.org")[-1]
    assert mail.subject == "Your video message “Pia message” was not approved"
    assert "Sound is <b>too low</b>." in mail.body_text
    page = client_for(app, "part@x.org").get(url).get_data(as_text=True)
    assert "Sound is &lt;b&gt;too low&lt;/b&gt;." in page
    with app.app_context():
        actions = list(
            db.session.scalars(
                select(AuditEntry.action)
                .where(
                    AuditEntry.object_type == "videomessage",
                    AuditEntry.object_id == videos["own"],
                )
                .order_by(AuditEntry.id)
            )
        )
    assert actions == ["video.approved", "video.rejected"]


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"decision": "publish"}, 400),
        ({"decision": "reject", "note": "n" * 2001}, 400),
        ({}, 400),
    ],
)
def test_bad_review_inputs(app, world, videos, data, status):
    client = client_for(app, "org@x.org")
    url = f"/events/{world['event']}/p2c/videos/{videos['access']}"
    assert client.post(url, data=data).status_code == status
    assert stored(app, videos["access"]).state == VideoState.SUBMITTED


@pytest.mark.parametrize(
    ("email", "key", "status"),
    [
        ("access@x.org", "access", 403),
        ("part@x.org", "own", 403),
        ("adoption@x.org", "access", 404),
        ("orgb@x.org", "access", 404),
    ],
)
def test_only_organizers_review(app, world, videos, email, key, status):
    client = client_for(app, email)
    url = f"/events/{world['event']}/p2c/videos/{videos[key]}"
    assert client.post(url, data={"decision": "approve"}).status_code == status
    assert stored(app, videos[key]).state == VideoState.SUBMITTED
    assert outbox(app) == []


# --- the file ---------------------------------------------------------------------------


def test_file_served_with_its_type_and_ranges(app, world):
    video_id = make_video(
        app, world, area="ACCESS", person="part", submitted_by="part@x.org", file_bytes=MP4
    )
    url = f"/events/{world['event']}/p2c/videos/{video_id}/file"
    client = client_for(app, "org@x.org")
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "video/mp4" and response.data == MP4
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["Content-Disposition"].startswith("inline")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    part = client.get(url, headers={"Range": "bytes=4-7"})
    assert part.status_code == 206 and part.data == b"ftyp"
    page = client.get(f"/events/{world['event']}/p2c/videos/{video_id}").get_data(as_text=True)
    assert "<video controls" in page and f'src="{url}"' in page
    assert status_of(client_for(app, "part@x.org"), url) == 200
    assert status_of(client_for(app, "access@x.org"), url) == 200
    assert status_of(client_for(app, "adoption@x.org"), url) == 404
    assert status_of(client_for(app, "orgb@x.org"), url) == 404
    assert status_of(client_for(app, "unlinked@x.org"), url) == 404
    assert status_of(client_for(app), url) == 302
    response.close()
    part.close()


def test_file_of_a_link_or_missing_on_disk_is_404(app, world, videos):
    client = client_for(app, "org@x.org")
    assert (
        client.get(f"/events/{world['event']}/p2c/videos/{videos['access']}/file").status_code
        == 404
    )
    video_id = make_video(app, world, title="Gone", file_bytes=MP4)
    (world["uploads"] / stored(app, video_id).file_name).unlink()
    assert client.get(f"/events/{world['event']}/p2c/videos/{video_id}/file").status_code == 404
    page = client.get(f"/events/{world['event']}/p2c/videos/{video_id}").get_data(as_text=True)
    assert "The video file is missing" in page


# --- playlists --------------------------------------------------------------------------


@pytest.fixture
def venue(app, world):
    """Event A's room with a screen, a lobby screen, a venue-wide break of 5 minutes and a
    break of 2 minutes in the room; a screen of event B."""
    with app.app_context():
        event = db.session.get(Event, world["event"])
        day = datetime.combine(event.opening_date + timedelta(days=1), time(10, 30))
        room = Room(event_id=event.id, name="Room K", capacity=100)
        db.session.add(room)
        db.session.flush()
        db.session.add_all(
            [
                ProgrammeBlock(
                    event_id=event.id,
                    kind=BlockKind.BREAK,
                    title="Coffee break",
                    starts_at=day,
                    ends_at=day + timedelta(minutes=5),
                ),
                ProgrammeBlock(
                    event_id=event.id,
                    kind=BlockKind.BREAK,
                    title="Room K pause",
                    room_id=room.id,
                    starts_at=day + timedelta(hours=3),
                    ends_at=day + timedelta(hours=3, minutes=2),
                ),
                ProgrammeBlock(
                    event_id=event.id,
                    kind=BlockKind.PLENARY,
                    title="Plenary",
                    starts_at=day + timedelta(hours=1),
                    ends_at=day + timedelta(hours=2),
                ),
            ]
        )
        lobby = Screen(event_id=event.id, name="Lobby")
        in_room = Screen(event_id=event.id, name="Room K screen", room_id=room.id)
        other = Screen(event_id=world["other"], name="Elsewhere")
        db.session.add_all([lobby, in_room, other])
        db.session.commit()
        return {"lobby": lobby.id, "room": in_room.id, "other": other.id}


def test_playlists_page_fits_approved_messages(app, world, venue):
    first = make_video(
        app, world, title="First minister", seconds=150, state=VideoState.APPROVED, file_bytes=MP4
    )
    make_video(app, world, title="Second minister", seconds=120, state=VideoState.APPROVED)
    make_video(app, world, title="Too long minister", seconds=600, state=VideoState.APPROVED)
    make_video(app, world, title="Pending minister", seconds=30)
    client = client_for(app, "org@x.org")
    response = client.get(f"/events/{world['event']}/p2c/playlists")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Pending minister" not in body
    assert "Coffee break" in body and "Room K pause" in body and "Plenary" not in body
    assert "10:30–10:35" in body and "whole venue" in body
    assert body.count("Does not fit any break") == 1 and "Too long minister" in body
    # The 5-minute break plays both on both screens; the lobby skips the room's break.
    assert "Lobby: 4:30 of 5:00 played, 0:30 spare" in body
    assert "Room K screen: 4:30 of 5:00 played, 0:30 spare" in body
    assert "Room K screen: 2:00 of 2:00 played, 0:00 spare" in body
    assert "10:30:00" in body and "10:32:30" in body
    assert "sessions-videos.css" in body and f"/p2c/videos/{first}" in body
    m3u = client.get(f"/events/{world['event']}/p2c/playlists/{venue['lobby']}.m3u")
    assert m3u.status_code == 200 and m3u.mimetype == "audio/x-mpegurl"
    lines = m3u.get_data(as_text=True).split("\r\n")
    assert lines[:2] == ["#EXTM3U", "#PLAYLIST:Lobby"]
    assert "#EXTINF:150,H.E. Mina Minister - First minister" in lines
    assert f"http://localhost/events/{world['event']}/p2c/videos/{first}/file" in lines
    assert "https://videos.example.org/m.mp4" in lines
    csv = client.get(f"/events/{world['event']}/p2c/playlists.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    rows = csv.get_data(as_text=True).splitlines()
    assert rows[0].lstrip("\ufeff").startswith("break_starts,break_ends,break,room,screen")
    assert len(rows) == 1 + 2 + 2 + 1


def test_playlists_without_breaks_or_messages(app, world):
    body = client_for(app, "org@x.org").get(f"/events/{world['event']}/p2c/playlists")
    assert body.status_code == 200
    assert "There are no breaks yet" in body.get_data(as_text=True)


@pytest.mark.parametrize(
    ("email", "status"),
    [
        ("org@x.org", 200),
        ("access@x.org", 200),
        ("adoption@x.org", 200),
        ("part@x.org", 403),
        ("orgb@x.org", 403),
        (None, 302),
    ],
)
def test_playlists_per_role(app, world, venue, email, status):
    client = client_for(app, email)
    base = f"/events/{world['event']}/p2c/playlists"
    assert client.get(base).status_code == status
    assert client.get(f"{base}.csv").status_code == status
    assert client.get(f"{base}/{venue['room']}.m3u").status_code == status


def test_another_events_screen_is_404(app, world, venue):
    client = client_for(app, "org@x.org")
    url = f"/events/{world['event']}/p2c/playlists/{venue['other']}.m3u"
    assert client.get(url).status_code == 404
    assert client.get("/events/999999/p2c/playlists").status_code == 404


def _queries(app, fetch) -> int:
    """How many SQL statements `fetch()` runs."""
    with app.app_context():
        engine = db.engine
    seen = []

    def count(*_args):
        seen.append(1)

    sa_event.listen(engine, "before_cursor_execute", count)
    try:
        assert fetch().status_code == 200
    finally:
        sa_event.remove(engine, "before_cursor_execute", count)
    return len(seen)


@pytest.mark.parametrize(
    ("email", "path"),
    [
        ("org@x.org", "/p2c/videos"),
        ("access@x.org", "/p2c/videos"),
        ("org@x.org", "/p2c/playlists"),
        ("access@x.org", "/p2c/playlists.csv"),
    ],
)
def test_pages_do_not_query_per_message(app, world, venue, email, path):
    client = client_for(app, email)
    url = f"/events/{world['event']}{path}"
    make_video(app, world, title="One", state=VideoState.APPROVED, area="ACCESS")
    few = _queries(app, lambda: client.get(url))
    for n in range(12):
        make_video(
            app,
            world,
            title=f"Message {n}",
            seconds=20,
            state=VideoState.APPROVED,
            area="ACCESS",
            person="part" if n % 2 else "minister",
        )
    assert "Message 11" in client.get(url).get_data(as_text=True)
    assert _queries(app, lambda: client.get(url)) == few
