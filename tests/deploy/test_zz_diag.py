import pytest
from tests.deploy.test_scale_out import PLAN, SELECT, SYNTHESIS, json_reply, plan, selection, EMPTY_REPORT, producer, session_cookie, start_and_follow, Execution, servers, broker, llm, project, workers
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]
import asyncio, time
from tests.deploy.test_scale_out import *  # noqa
from tests.deploy import test_scale_out as t
from tests.executions.test_resume_processes import Worker as W

import subprocess, sys
from tests.executions.test_resume_processes import child_env
from tests.browser.server import ROOT
@pytest.fixture
def two_workers(broker, llm):
    env = child_env(llm, REDIS_URL=broker, CELERY_BROKER_URL=broker)
    ps = []
    for name in ("w1", "w2"):
        out = open(f"/tmp/diag-{name}.log", "wb")
        ps.append(subprocess.Popen([sys.executable, "-m", "celery", "-A", "aladdin", "worker", "--pool=solo", "-n", f"{name}@%h", "--without-heartbeat", "--without-mingle", "--without-gossip", "-l", "INFO"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT))
    yield ps
    for p in ps:
        p.terminate(); p.wait(20)

def broker_url():
    import os; return os.environ['TEST_REDIS_URL']

def test_diag(llm, project, servers, two_workers):
    n = 6
    t.RUNS = n
    llm.script(PLAN, *[json_reply(plan(("character", 0.9)))] * n)
    llm.script(SELECT, *[json_reply(selection("character-creator-001"))] * n)
    llm.script(SYNTHESIS, *[json_reply(EMPTY_REPORT)] * n)
    token = producer(project)
    cookie = session_cookie("watcher", project)
    t0 = time.monotonic()
    try:
        asyncio.run(asyncio.wait_for(start_and_follow(servers, token, cookie), 60))
    except BaseException as e:
        print("EXC", repr(e))
    import redis as R
    r = R.Redis.from_url(broker_url())
    print("KEYS", [(k, r.type(k), r.llen(k) if r.type(k)==b"list" else None) for k in r.keys("*")])
    print("elapsed", time.monotonic() - t0)
    for e in Execution.objects.filter(parent=None).order_by("created_at"):
        print(e.execution_id, e.status, e.created_at, e.started_at, e.finished_at if hasattr(e,'finished_at') else '', e.updated_at)
    print("requests", len(llm.requests) if hasattr(llm, "requests") else "?")
    assert False
