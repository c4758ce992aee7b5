"""The console's CSV downloads (门店流水, 储值流水, reports): cells a spreadsheet would run as formulas are neutralised,
as the server's exports do (a probe named a plan =HYPERLINK(…) and the store journal's download carried it live)."""

import json
import shutil
import subprocess
from pathlib import Path

CSV_JS = Path(__file__).parents[2] / "web" / "console" / "src" / "views" / "reports" / "csv.js"


def csv_of(values):
    """The cells ``csvOf`` writes for ``values``, one column, as node runs the console's own module."""
    script = (f"const {{csvOf}} = await import({json.dumps(CSV_JS.as_uri())});"
              f"process.stdout.write(csvOf([{{title: 'v', value: (r) => r}}], {json.dumps(values)}))")  # fmt: skip
    node = shutil.which("node")
    assert node, "node is installed by make (the front ends are built with it)"
    done = subprocess.run([node, "--input-type=module", "-e", script], capture_output=True, check=True)
    return done.stdout.decode().removeprefix("\ufeff").split("\r\n")[1:-1]


CASES = [
    ('=HYPERLINK("http://evil.example","查看")', '"\'=HYPERLINK(""http://evil.example"",""查看"")"'),
    ("+1+1", "'+1+1"),
    ("-2+3", "'-2+3"),
    ("@SUM(1)", "'@SUM(1)"),
    ("\tcmd", "'\tcmd"),
    ("-12.50", "-12.50"),
    ("+3", "+3"),
    ("1,000.00", '"1,000.00"'),
    ("张三 · 7184728017", "张三 · 7184728017"),
]


def test_a_formula_is_written_as_text_and_a_number_as_a_number():
    """One run of node for every case (each start of it costs about 0.15 s)."""
    assert csv_of([value for value, _ in CASES]) == [written for _, written in CASES]
