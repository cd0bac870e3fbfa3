"""The asynchronous polling pattern of Logic Apps: detect-batch's 202 carries Location + Retry-After, and the status
route answers 202 (poll again) while the detection is CREATED/RUNNING, then 200 with the full result."""
import uuid

import pytest
from api_fixtures import BASE, assert_error, body_json

from service import jobs
from service.records import RUNNING, ResultRecord
from service.settings import get_settings
from service.storage import RESULT_PARTITION, RESULTS, get_storage


def start_detection(app, model_id, data_url) -> tuple[str, object]:
    body = {"dataSource": data_url, "topContributorCount": 3, "startTime": "2021-01-01T01:00:00Z",
            "endTime": "2021-01-01T01:19:00Z"}
    response = app.call("POST", f"multivariate/models/{model_id}:detect-batch", body)
    assert response.status_code == 202
    return body_json(response)["resultId"], response


def poll(app, location: str):
    assert location.startswith(BASE + "/")
    return app.call("GET", location[len(BASE) + 1:])


def assert_poll_again(response, result_id: str, status: str) -> dict:
    assert response.status_code == 202
    assert response.headers["Location"] == f"{BASE}/multivariate/detect-batch/{result_id}/status"
    assert int(response.headers["Retry-After"]) > 0
    answer = body_json(response)
    assert answer["resultId"] == result_id and answer["summary"]["status"] == status and answer["results"] == []
    return answer


def mark_running(result_id: str) -> None:
    """What the detection activity does first (its own step is tested in tests/service)."""
    def change(entity):
        record = ResultRecord.from_entity(entity)
        record.status = RUNNING
        return record.to_entity()

    get_storage(get_settings()).update_row(RESULTS, RESULT_PARTITION, result_id, change)


def test_detect_batch_202_points_to_the_polling_route(app, ready_model_id, data_url):
    result_id, response = start_detection(app, ready_model_id, data_url)
    # the SDK's headers are unchanged; Location and Retry-After are added for pollers
    assert response.headers["Operation-Location"] == f"{BASE}/multivariate/detect-batch/{result_id}"
    assert response.headers["Location"] == f"{BASE}/multivariate/detect-batch/{result_id}/status"
    assert response.headers["Retry-After"].isdigit() and int(response.headers["Retry-After"]) > 0


def test_polling_answers_202_until_ready_then_200_with_the_full_result(app, ready_model_id, data_url):
    result_id, accepted = start_detection(app, ready_model_id, data_url)
    created = assert_poll_again(poll(app, accepted.headers["Location"]), result_id, "CREATED")
    assert created["summary"]["setupInfo"]["topContributorCount"] == 3

    mark_running(result_id)
    running = poll(app, accepted.headers["Location"])
    assert_poll_again(running, result_id, "RUNNING")

    jobs.run_batch_detection(result_id)
    done = poll(app, running.headers["Location"])
    assert done.status_code == 200
    assert "Location" not in done.headers and "Retry-After" not in done.headers
    answer = body_json(done)
    assert answer["summary"]["status"] == "READY" and len(answer["results"]) == 20
    assert answer == body_json(app.call("GET", f"multivariate/detect-batch/{result_id}"))


def test_a_failed_detection_ends_the_polling_with_its_errors(app, ready_model_id, data_url):
    result_id, accepted = start_detection(app, ready_model_id, data_url)
    jobs.fail_result(result_id, "NotEnoughInput", "Not enough data.")
    done = poll(app, accepted.headers["Location"])
    assert done.status_code == 200
    summary = body_json(done)["summary"]
    assert summary["status"] == "FAILED"
    assert summary["errors"] == [{"code": "NotEnoughInput", "message": "Not enough data."}]


@pytest.mark.parametrize("result_id", [str(uuid.uuid4()), "not-a-uuid"])
def test_polling_an_unknown_result_is_the_services_error(app, result_id):
    assert_error(app.call("GET", f"multivariate/detect-batch/{result_id}/status"), 404, "ResultNotExist")


def test_polling_requires_a_key(app):
    path = f"multivariate/detect-batch/{uuid.uuid4()}/status"
    assert_error(app.call("GET", path, key=None), 401, "Unauthorized")
    assert_error(app.call("GET", path, key="wrong"), 401, "Unauthorized")
