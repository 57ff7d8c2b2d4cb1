"""`telecomgpt serve --index I --llm-base-url URL`: the assistant in front of an LLM service it did not start.

Its mistakes are one-line errors here, against the session's vLLM server. How it reports that service's
death and answers again once the service is back is checked in tests/app/test_rag_recovery.py, which kills
a vLLM server anyway (each vLLM start costs about 40 s of the suite).
"""

from __future__ import annotations

import pytest

from telecomgpt.llm.server import free_port

pytestmark = pytest.mark.slow


def test_llm_base_url_errors_are_one_line(spec_index, vllm_server, run_cli, assert_one_line_error):
    down = f"http://127.0.0.1:{free_port()}/v1"
    assert_one_line_error(run_cli("serve", "--index", str(spec_index), "--llm-base-url", down,
                                  "--port", str(free_port()), timeout=120), "unreachable")
    assert_one_line_error(run_cli("serve", "--index", str(spec_index), "--llm-base-url", vllm_server.base_url,
                                  "--llm-model", "no-such-model", "--port", str(free_port()), timeout=120),
                          "does not serve model 'no-such-model'")
    assert_one_line_error(run_cli("serve", "--llm-base-url", vllm_server.base_url, timeout=120), "--index")
