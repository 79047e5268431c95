"""Write the synthetic register sample (`register.csv` and `register.xlsx` beside this file).

The shape is that of an international heritage register's export: names in six languages
and scripts in separate columns, a 0/1 in-danger flag with its year, the year of
inscription, transboundary sites whose countries share one comma-separated cell,
coordinates, HTML in descriptions, a few sites given on more than one row. Every site,
name, date and position is invented (seeded, so the files are the same on every run), and
every row says so. Run: ``python harvest/examples/make_register.py``.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
COLUMNS = ["id_no", "name_en", "name_fr", "name_es", "name_ru", "name_ar", "name_zh", "name_other", "kind",
           "category", "states_name_en", "region", "latitude", "longitude", "date_inscribed", "danger",
           "date_danger", "date_end", "survey_year", "survey_state", "short_description_en", "note"]
#: Invented place names and their renderings in Cyrillic, Arabic and Han script.
PLACES = [("Veloria", "Велория", "فيلوريا", "韦洛里亚"), ("Tamsk", "Тамск", "تامسك", "塔姆斯克"),
          ("Orvane", "Орван", "أورفان", "奥尔万"), ("Kestrin", "Кестрин", "كسترين", "凯斯特林"),
          ("Mirabel Hollow", "Мирабель-Холлоу", "ميرابل هولو", "米拉贝尔谷"), ("Dunmore", "Данмор", "دنمور", "邓莫尔"),
          ("Salvek", "Сальвек", "سالفيك", "萨尔维克"), ("Ashgrove", "Эшгроув", "آشغروف", "阿什格罗夫"),
          ("Pelliton", "Пеллитон", "بيليتون", "佩利顿"), ("Quarn", "Кварн", "كوارن", "夸恩")]
#: Kinds of site: the word the register uses, then the site's name in en, fr, es, ru, ar, zh.
KINDS = [
    ("Fortress", "Fortress of {}", "Forteresse de {}", "Fortaleza de {}", "Крепость {}", "قلعة {}", "{}要塞"),
    ("Mosque", "Old Mosque of {}", "Ancienne mosquée de {}", "Antigua mezquita de {}", "Старая мечеть {}",
     "المسجد القديم في {}", "{}古清真寺"),
    ("Historic centre", "Historic Centre of {}", "Centre historique de {}", "Centro histórico de {}",
     "Исторический центр {}", "المركز التاريخي في {}", "{}历史中心"),
    ("Bridge", "Stone Bridge of {}", "Pont de pierre de {}", "Puente de piedra de {}", "Каменный мост {}",
     "الجسر الحجري في {}", "{}石桥"),
    ("Palace", "Palace of {}", "Palais de {}", "Palacio de {}", "Дворец {}", "قصر {}", "{}宫"),
    ("Garden", "Gardens of {}", "Jardins de {}", "Jardines de {}", "Сады {}", "حدائق {}", "{}园林"),
    ("Archaeological site", "Ruins of {}", "Ruines de {}", "Ruinas de {}", "Руины {}", "أطلال {}", "{}遗址"),
    ("Mine", "Old Mines of {}", "Anciennes mines de {}", "Antiguas minas de {}", "Старые рудники {}",
     "المناجم القديمة في {}", "{}古矿"),
    ("Monastery", "Monastery of {}", "Monastère de {}", "Monasterio de {}", "Монастырь {}", "دير {}", "{}修道院"),
]
COUNTRIES = ["France", "Spain", "Italy", "Germany", "Kenya", "Peru", "Japan", "India", "Mexico", "Egypt",
             "Azerbaijan", "Georgia", "Kazakhstan", "Uzbekistan", "Morocco", "Brazil", "Canada", "Norway",
             "Sweden", "Finland", "Kyrgyzstan", "Chile", "Argentina", "Portugal"]
TRANSBOUNDARY = ["France,Spain", "Sweden,Finland", "Kazakhstan,Kyrgyzstan,Uzbekistan", "Chile,Argentina",
                 "Azerbaijan,Georgia", "Republic of Example,Portugal"]
REGIONS = ["Europe and North America", "Asia and the Pacific", "Africa", "Arab States",
           "Latin America and the Caribbean"]
NOTE = "Synthetic row, invented for the catalogue's documentation and tests; not a real site."


def _row(number: int, rng: random.Random) -> dict[str, object]:
    place = PLACES[number % len(PLACES)]
    kind = KINDS[number % len(KINDS)]
    token = f"{place[0]} {number}" if number >= len(PLACES) else place[0]
    names = [kind[1].format(token), kind[2].format(token), kind[3].format(token),
             kind[4].format(f"{place[1]} {number}" if number >= len(PLACES) else place[1]),
             kind[5].format(f"{place[2]} {number}" if number >= len(PLACES) else place[2]),
             kind[6].format(f"{place[3]}{number}" if number >= len(PLACES) else place[3])]
    if number % 7 == 3:
        names[5] = ""  # no Chinese name for some sites
    if number % 11 == 5:
        names[3] = ""  # nor a Russian one for others
    inscribed = 1978 + rng.randrange(45)
    danger = int(number % 6 == 1)
    lat, lon = round(rng.uniform(-50, 65), 4), round(rng.uniform(-120, 140), 4)
    if number == 17:
        lat, lon = 0, 0  # the stand-in for "no coordinates" some registers carry
    states = TRANSBOUNDARY[number // 8 % len(TRANSBOUNDARY)] if number % 8 == 2 else rng.choice(COUNTRIES)
    description = (f"<p>A synthetic {kind[0].lower()} at <em>{token}</em>, described for tests &amp; "
                   f"documentation only.</p><p>Listed in {inscribed}.<br>{NOTE}</p>")
    survey = number % 5 == 0
    return {
        "id_no": 100 + number, "name_en": names[0], "name_fr": names[1], "name_es": names[2], "name_ru": names[3],
        "name_ar": names[4], "name_zh": names[5], "name_other": "", "kind": kind[0],
        "category": "Mixed" if number % 9 == 4 else "Cultural", "states_name_en": states,
        "region": REGIONS[number % len(REGIONS)], "latitude": lat, "longitude": lon, "date_inscribed": inscribed,
        "danger": danger, "date_danger": inscribed + 1 + number % 20 if danger else "",
        "date_end": 2021 if number == 29 else "", "survey_year": 2015 + number % 8 if survey else "",
        "survey_state": ("damaged" if number % 2 else "intact") if survey else "",
        "short_description_en": description, "note": NOTE,
    }


def rows() -> list[dict[str, object]]:
    """The register's rows: 48 sites, three of them with a second row adding a local name."""
    rng = random.Random(14)  # noqa: S311 (invented sample data, not a secret)
    out = [_row(number, rng) for number in range(48)]
    for number, local in ((3, "Kestrin Köprüsü"), (20, "Veloriya-20 Qalası"), (41, "Tamsker Gärten 41")):
        extra = dict.fromkeys(COLUMNS, "")
        extra.update(id_no=100 + number, name_other=local, note=NOTE)
        main = next(i for i, row in enumerate(out) if row["id_no"] == 100 + number)
        out.insert(main + 1 + number % 3, extra)  # after its site's row, not always right after
    return out


def write_csv(path: Path, data: list[dict[str, object]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(data)


def write_xlsx(path: Path, data: list[dict[str, object]]) -> None:
    from openpyxl import Workbook  # only this script writes workbooks

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "register"
    sheet.append(COLUMNS)
    for row in data:
        sheet.append([row[column] if row[column] != "" else None for column in COLUMNS])
    workbook.save(path)


if __name__ == "__main__":
    register = rows()
    write_csv(HERE / "register.csv", register)
    write_xlsx(HERE / "register.xlsx", register)
    print(f"wrote {len(register)} rows to register.csv and register.xlsx in {HERE}")
