"""A school's integration with EdControl from start to end, through a client generated from
the API's OpenAPI document by openapi-python-client (see docs/integration.md): it registers a
webhook, adds a teacher, uploads a recording (streamed from disk), follows the analysis,
reads the report and the transcript, confirms the first incident, checks the signed webhook
that announced the analysis, and erases the lesson. The tests run this file against a live
server.

Usage:
    python lesson_life.py --server URL --token ADMIN_TOKEN --recording FILE
                          [--webhook-host 127.0.0.1] [--title TITLE]

Prints a JSON summary of what it did. The webhook receiver listens on --webhook-host, which
the server must be allowed to reach (`edcontrol serve --webhook-allow-network ...` for an
address on the school's own network).
"""
import argparse
import hashlib
import hmac
import http.server
import json
import secrets
import threading
import time

from edcontrol_client import AuthenticatedClient
from edcontrol_client.api.jobs import get_job
from edcontrol_client.api.lessons import delete_lesson, get_lesson, upload_lesson
from edcontrol_client.api.results import get_report, get_transcript_text
from edcontrol_client.api.reviews import list_lesson_reviews, review_incident
from edcontrol_client.api.teachers import create_teacher
from edcontrol_client.api.webhooks import create_webhook, delete_webhook
from edcontrol_client.models import CreateTeacherBody, CreateWebhookBody, Error, ReviewIncidentBody, ReviewIncidentBodyVerdict
from edcontrol_client.types import File


def answered(result, what):
    """The API's answer, or a clear failure with the API's own message."""
    if result is None:
        raise SystemExit(f"{what}: the server's answer is not one the API document describes")
    if isinstance(result, Error):
        raise SystemExit(f"{what}: {result.error.message}")
    return result


def done(response, what):
    """An answer without a body (204), or a clear failure with the API's own message."""
    if response.status_code.value != 204:
        raise SystemExit(f"{what}: {response.parsed.error.message if isinstance(response.parsed, Error) else response.status_code}")


def signature_is_valid(headers, body, secret):
    """A webhook's signature: `sha256=` + hex HMAC-SHA256 of `<timestamp>.<body>` keyed with the
    shared secret, its timestamp no more than five minutes old (so a copy cannot be replayed)."""
    timestamp = headers.get("X-EdControl-Timestamp", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 300:
        return False
    expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers.get("X-EdControl-Signature", ""))


class WebhookReceiver(http.server.ThreadingHTTPServer):
    """The school's endpoint for EdControl's events: keeps each event whose signature is valid."""

    def __init__(self, host, secret):
        self.secret, self.events, self.refused = secret, [], 0
        self.arrived = threading.Condition()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(handler):
                body = handler.rfile.read(int(handler.headers.get("Content-Length", 0)))
                valid = signature_is_valid(handler.headers, body, self.secret)
                handler.send_response(204 if valid else 401)
                handler.end_headers()
                with self.arrived:
                    if valid:
                        self.events.append(json.loads(body))
                    else:
                        self.refused += 1
                    self.arrived.notify_all()

            def log_message(handler, *arguments):
                pass

        super().__init__((host, 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def wait_for(self, event, job_id, timeout):
        with self.arrived:
            self.arrived.wait_for(lambda: any(e["event"] == event and e["job"]["id"] == job_id for e in self.events), timeout)
            return next((e for e in self.events if e["event"] == event and e["job"]["id"] == job_id), None)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", required=True)
    parser.add_argument("--token", required=True, help="an admin token (webhooks need one)")
    parser.add_argument("--recording", required=True)
    parser.add_argument("--webhook-host", default="127.0.0.1")
    parser.add_argument("--title", default="Algebra 7B")
    arguments = parser.parse_args()
    client = AuthenticatedClient(base_url=arguments.server, token=arguments.token, timeout=600)
    summary = {}

    # The school's endpoint hears of finished analyses, signed with a secret only it and EdControl know.
    secret = secrets.token_hex(24)
    receiver = WebhookReceiver(arguments.webhook_host, secret)
    url = f"http://{arguments.webhook_host}:{receiver.server_address[1]}/edcontrol"
    webhook = answered(create_webhook.sync(client=client, body=CreateWebhookBody(url=url, secret=secret)), "registering the webhook")

    teacher = answered(create_teacher.sync(client=client, body=CreateTeacherBody(name="Анна Петрова")), "adding the teacher")
    with open(arguments.recording, "rb") as recording:  # streamed: never read whole into memory
        upload = answered(upload_lesson.sync(client=client, body=File(payload=recording), filename=arguments.recording.rsplit("/", 1)[-1],
                                             title=arguments.title, teacher_id=teacher.id), "uploading the recording")
    lesson, job = upload.lesson.id, upload.job.id
    summary["lesson"], summary["job"] = lesson, job

    # Follow the analysis (a webhook also says when it ends; polling shows progress meanwhile).
    while (state := answered(get_job.sync(job, client=client), "following the job")).state.value in ("queued", "running"):
        time.sleep(1)
    summary["state"] = state.state.value
    if state.state.value != "succeeded":
        raise SystemExit(f"the analysis ended {state.state.value}: {state.last_error}")

    report = answered(get_report.sync(lesson, client=client), "reading the report").to_dict()
    summary["flag"], summary["incidents"] = report["summary"]["flag"], len(report["incidents"])
    summary["transcript_lines"] = len(answered(get_transcript_text.sync(lesson, client=client), "reading the transcript").splitlines())
    if report["incidents"]:
        answered(review_incident.sync(lesson, 0, client=client, body=ReviewIncidentBody(
            verdict=ReviewIncidentBodyVerdict.CONFIRMED, note="seen on the recording")), "reviewing the first incident")
        reviews = answered(list_lesson_reviews.sync(lesson, client=client), "reading the reviews")
        summary["reviews"] = [review.verdict.value for review in reviews.items]

    event = receiver.wait_for("job.succeeded", job, timeout=120)
    summary["webhook"] = event["event"] if event else None
    summary["webhook_refused"] = receiver.refused

    # The school asks for the lesson to be erased: it is gone, everything derived from it too.
    done(delete_lesson.sync_detailed(lesson, client=client), "erasing the lesson")
    summary["after_erasure"] = get_lesson.sync_detailed(lesson, client=client).status_code.value
    done(delete_webhook.sync_detailed(webhook.id, client=client), "removing the webhook")
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
