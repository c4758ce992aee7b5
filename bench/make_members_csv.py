"""Write a members CSV for import tests and benchmarks: ``python bench/make_members_csv.py N FILE``.

Phones are distinct valid mainland mobile numbers; a few rows per thousand are deliberately bad (an
invalid phone, an unknown store) so the error report has something to show.
"""

from __future__ import annotations

import csv
import random
import sys
from pathlib import Path

STORES = ("SH-001", "BJ-001", "GZ-001", "CD-001")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"


def rows(count: int, seed: int = 7) -> list[dict[str, str]]:
    rng = random.Random(seed)
    made = []
    for n in range(count):
        phone = f"13{n // 100_000_000 % 10}{n % 100_000_000:08d}"
        row = {
            "name": rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2))),
            "phone": phone,
            "email": f"user{n}@example.com" if n % 3 == 0 else "",
            "gender": rng.choice(["female", "male", "undisclosed"]),
            "birthday": f"{rng.randint(1960, 2005)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "city": rng.choice(["上海", "北京", "广州", "成都"]),
            "store_id": STORES[n % len(STORES)],
            "source": "import",
            "registered_at": f"20{rng.randint(15, 25)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} 10:30:00",
        }
        if n % 997 == 500:
            row["phone"] = "12345"
        if n % 991 == 400:
            row["store_id"] = "NO-SUCH-STORE"
        made.append(row)
    return made


def write(path: Path, count: int, encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows(1)[0]))
        writer.writeheader()
        writer.writerows(rows(count))
    return path


if __name__ == "__main__":
    print(write(Path(sys.argv[2]), int(sys.argv[1])))
