"""The guide's worked example (docs/ledger.md) runs as written: adding a book is what it says."""

import re
from pathlib import Path

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "ledger.md"


def test_the_guide_s_stamp_card_runs_as_written():
    [code] = re.findall(r"```python\n(.*?)```", GUIDE.read_text(), flags=re.DOTALL)
    namespace: dict[str, object] = {"__name__": "guide"}
    exec(compile(code, str(GUIDE), "exec"), namespace)  # our own document, in the repository
    ledger = namespace["stamps"]
    assert ledger.balance("m1", "stamps") == 0  # type: ignore[attr-defined]
    assert ledger.store.commits == 11  # type: ignore[attr-defined]  ten stamps and the free coffee
