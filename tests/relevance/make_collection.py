"""Write the multilingual relevance collection: tests/data/relevance/collection.jsonl.

Hand-written target records (the answers of the queries in queries.toml) and generated
background records (schools, libraries, cemeteries... in the same towns, so that a query
competes with realistic neighbours). Every record is SYNTHETIC: invented items in real
towns, each citing an invented source and saying so in `notes`. The output is the same on
every run (a fixed seed, no clock).

    python tests/relevance/make_collection.py            # rewrite the collection
    python tests/relevance/make_collection.py --check    # exit 1 when the file is stale
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import unicodedata
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.relevance.places import COUNTRIES, PLACES

OUT = Path(__file__).resolve().parents[1] / "data" / "relevance" / "collection.jsonl"
SYNTHETIC = ("SYNTHETIC record of the relevance test set: an invented item in a real town, cited to an "
             "invented source. It makes no claim about any real place, building or event.")
PUBLISHER = "Relevance test set (synthetic)"

_SCRIPTS = {"LATIN": "Latn", "CYRILLIC": "Cyrl", "ARABIC": "Arab", "GEORGIAN": "Geor", "ARMENIAN": "Armn",
            "CJK": "Hani", "HIRAGANA": "Jpan", "KATAKANA": "Jpan"}


def script_of(text: str, lang: str) -> str | None:
    """ISO 15924 code of the first letter of `text` (Japanese names are Jpan)."""
    if lang == "ja":
        return "Jpan"
    for ch in text:
        if ch.isalpha():
            return _SCRIPTS.get(unicodedata.name(ch, "").split(" ")[0])
    return None


def _name(value: str, lang: str, kind: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"value": value, "lang": lang}
    if script := script_of(value, lang):
        out["script"] = script
    if kind:
        out["kind"] = kind
    return out


class Sources:
    """Numbers the invented sources, so every citation is distinct and plainly synthetic."""

    def __init__(self) -> None:
        self.n = 0

    def make(self, year: int) -> dict[str, Any]:
        self.n += 1
        return {"id": f"syn-{self.n:04d}", "type": "synthetic",
                "citation": f"Synthetic survey sheet {self.n:04d} (invented for the relevance test set; "
                            "no such document exists).",
                "publisher": PUBLISHER, "date": str(year)}


def record(sources: Sources, rid: str, kind: str, title: str, place: str, desc: str, *,
           names: tuple[tuple[str, str], ...] = (), forms: tuple[str, ...] = (), country: str = "",
           subjects: tuple[str, ...] = (), period: tuple[str, int, int] | None = None,
           status: str = "", year: int = 2005, event: str = "", cause: str = "", cnote: str = "",
           note: str = "") -> dict[str, Any]:
    """One schema-valid synthetic record; `forms` pick the place spellings, `country` its form."""
    p = PLACES[place]
    keys = forms or p.default
    place_names = [p.form(k) for k in keys]
    source = sources.make(year)
    out: dict[str, Any] = {
        "id": rid, "type": kind, "title": title,
        "place": {"name": place_names[0][0], "names": [_name(v, lang) for v, lang in place_names],
                  "admin_area": p.admin, "country": COUNTRIES[p.country][country or p.country_form]},
        "description": desc, "sources": [source],
        "notes": f"{SYNTHETIC} {note}".strip(),
        "provenance": {"origin": "import", "source_name": "relevance test set"},
    }
    if names:
        out["names"] = [_name(v, lang) for v, lang in names]
    if subjects:
        out["subjects"] = list(subjects)
    if period:
        out["period"] = {"label": period[0], "start": period[1], "end": period[2], "sources": [source["id"]]}
    if status:
        condition: dict[str, Any] = {"status": status, "date": str(year), "method": "synthetic",
                                     "sources": [source["id"]]}
        for key, value in (("event", event), ("cause", cause), ("note", cnote)):
            if value:
                condition[key] = value
        out["conditions"] = [condition]
    return out


# -- the target records (the expected answers of queries.toml) --------------------------------


def targets(src: Sources) -> list[dict[str, Any]]:
    """The hand-written records that queries.toml asks for, grouped by country."""
    R = partial(record, src)
    return [
        # Azerbaijan
        R("rel-az-shusha-hajiyusif-mosque", "mosque", "Hacı Yusif Mosque", "shusha",
          "Quarter mosque of the lower town, built of grey limestone with a wooden gallery on its north side. "
          "The minaret fell and the prayer hall was left without a roof; the survey sheet describes the "
          "destruction of the upper walls.",
          names=(("Hacı Yusif məscidi", "az"), ("Мечеть Гаджи Юсиф", "ru")), forms=("az", "en"),
          subjects=("religious architecture",), period=("XIX century", 1801, 1900), status="destroyed",
          year=1993, event="war", note="A Russian survey of the 1960s calls it the Hajji Yusuf mosque."),
        R("rel-az-baku-carpet-album", "other", "Album of Karabakh carpet designs", "baku",
          "Bound album of 64 gouache drawings of carpet borders and medallions, gathered from weavers in "
          "Shusha and in the villages around Ağdam between 1924 and 1931.",
          subjects=("carpets", "textile design"), period=("1924-1931", 1924, 1931), status="intact", year=2011),
        R("rel-az-baku-realni-photographs", "other", "Glass negatives of the Realni School", "baku",
          "Eighty glass negatives showing pupils and teachers of the realni school in Shusha, taken by a "
          "local photographer from 1905 to 1914.",
          subjects=("photography", "education"), period=("1905-1914", 1905, 1914), status="intact", year=2014),
        R("rel-az-ganja-mirzecelal-library", "library", "Mirzə Cəlal Library", "ganja",
          "Reading room opened in 1936 in a former merchant house; it held about 12,000 volumes, a third of "
          "them printed in Arabic script.",
          names=(("Mirzə Cəlal adına kitabxana", "az"),), forms=("az",), subjects=("books",),
          period=("1936", 1936, 1936), status="intact", year=2019),
        R("rel-az-ganja-ozan-hamam", "other", "Ozan hamamı", "ganja",
          "Seventeenth-century bath-house, known in the town simply as the Ozan hamam: a cold room, a warm "
          "room and a hot room under brick cupolas, with the heating channels still visible under the floor.",
          names=(("Ozan hamamı", "az"),), forms=("az",), country="local", subjects=("baths",),
          period=("XVII century", 1601, 1700), status="damaged", year=2016),
        R("rel-az-sheki-hajiqurban-caravanserai", "other", "Hacı Qurban karvansarası", "sheki",
          "Two-storey trading inn around a square courtyard, with rooms for merchants upstairs and stables "
          "below; it stood on the road that led from the silk market to the mountain villages.",
          names=(("Hacı Qurban karvansarası", "az"),), forms=("az",), subjects=("trade", "silk"),
          period=("XVIII century", 1701, 1800), status="intact", year=2018),
        R("rel-az-sheki-sericulture-school", "school", "Sericulture School", "sheki",
          "Vocational school for silkworm breeding, founded in 1913 when the town was still called Nukha; "
          "later a technical college with a mulberry nursery.",
          forms=("ru",), subjects=("education", "silk"), period=("1913", 1913, 1913), status="intact",
          year=2012),
        R("rel-az-qazax-girls-gymnasium", "school", "Qazax Girls' Gymnasium", "qazax",
          "Secondary school for girls opened in 1912; its red brick building faces the river, with a "
          "teachers' house in the yard.",
          names=(("Qazax qız gimnaziyası", "az"),), subjects=("education",), period=("1912", 1912, 1912),
          status="damaged", year=2009),
        R("rel-az-tovuz-ashug-museum", "museum", "Museum of Ashug Music", "tovuz",
          "Collection of sazes, drums and tape recordings of ashug singers; about half of the instruments "
          "came from masters in the Gazakh and Shamkir districts.",
          subjects=("music",), period=("1978", 1978, 1978), status="intact", year=2020),
        R("rel-az-shamakhi-pirhasan-tomb", "tomb", "Pir Həsən türbəsi", "shamakhi",
          "Small octagonal tomb of a local saint on the hill above the town; pilgrims tie ribbons to its iron "
          "grille. The earthquakes of 1859 and 1902 cracked the dome.",
          names=(("Pir Həsən türbəsi", "az"),), subjects=("pilgrimage",), period=("XVI century", 1501, 1600),
          status="damaged", year=2008, cause="earthquake"),
        R("rel-az-nakhchivan-qizilxanim-mausoleum", "mausoleum", "Qızıl Xanım türbəsi", "nakhchivan",
          "Twelve-sided brick mausoleum with turquoise glazed inscriptions; a stair on the east side leads "
          "down to the crypt.",
          names=(("Qızıl Xanım türbəsi", "az"), ("Мавзолей Кызыл Ханым", "ru")), forms=("az",),
          subjects=("funerary architecture",), period=("XII century", 1101, 1200), status="intact", year=2015),
        R("rel-az-lankaran-teagrowers-club", "club", "Tea-growers' Club of Lənkəran", "lankaran",
          "Workers' club of the tea state farm, opened in 1938, with a stage and 300 seats and a small "
          "library in the side wing.",
          names=(("Çayçılar klubu", "az"),), subjects=("culture",), period=("1938", 1938, 1938),
          status="at_risk", year=2017),
        R("rel-az-quba-carpet-house-of-culture", "house_of_culture", "Quba Carpet Weavers' House of Culture",
          "quba", "House of culture built in 1958 for the carpet combine; one museum room shows knotted pile "
          "rugs from the district and its neighbours.",
          subjects=("carpets", "culture"), period=("1958", 1958, 1958), status="intact", year=2013),
        R("rel-az-zaqatala-avar-cemetery", "cemetery", "Cemetery of the Avar Quarter", "zaqatala",
          "Cemetery with carved tombstones bearing Avar and Arabic inscriptions; the oldest dated stone is "
          "from 1721.",
          names=(("Avar məhəlləsinin qəbiristanlığı", "az"),), subjects=("funerary architecture",),
          period=("XVIII-XX centuries", 1701, 2000), status="at_risk", year=2010),
        R("rel-az-aghdam-kengerli-tombs", "tomb", "Kəngərli bəylərinin türbələri", "aghdam",
          "Two octagonal tombs of cut stone at the edge of the old cemetery. In 1993 the front line ran "
          "through the village, and shelling brought the destruction of both domes.",
          names=(("Kəngərli bəylərinin türbələri", "az"),), subjects=("funerary architecture",),
          period=("XIX century", 1801, 1900), status="destroyed", year=1993, event="war"),
        R("rel-az-agdash-brick-bridge", "monument", "Brick bridge over the Qarasu canal", "agdash",
          "Three-arched brick bridge over an irrigation canal, repaired in 1897 and still used by carts.",
          subjects=("engineering",), period=("XIX century", 1801, 1900), status="intact", year=2012),
        R("rel-az-baku-bayil-library", "library", "Library of the Bayıl Oil Workers' Club", "baku",
          "Library of an oil workers' club on the Bayıl shore, with a reading hall for 80 and a children's "
          "room; its stock was merged into the city system in 1961.",
          names=(("Bayıl neftçilər klubunun kitabxanası", "az"),), subjects=("books",),
          period=("1927-1961", 1927, 1961), status="unknown", year=2002),
        R("rel-az-ordubad-silk-drying-house", "other", "Silk drying house of Ordubad", "ordubad",
          "Tall brick building with ventilated wooden lattices where cocoons were dried before spinning.",
          names=(("Ordubad barama qurutma evi", "az"),), subjects=("silk", "industry"),
          period=("XIX century", 1801, 1900), status="at_risk", year=2014),
        R("rel-az-gabala-qalaboynu-mound", "archaeological_site", "Qalaboynu settlement mound", "gabala",
          "Settlement mound with layers from the fourth century BCE; digging seasons in 1959–1962 found "
          "amphorae and a hoard of silver coins.",
          subjects=("archaeology",), period=("IV c. BCE - III c. CE", -400, 300), status="at_risk", year=2011),
        R("rel-az-fuzuli-hajialakbar-mosque", "mosque", "Hacı Ələkbər məscidi", "fuzuli",
          "Brick mosque with four wooden columns in the prayer hall; the loss of its roof and minaret was "
          "recorded after the fighting ended.",
          names=(("Hacı Ələkbər məscidi", "az"),), subjects=("religious architecture",),
          period=("1889", 1889, 1889), status="destroyed", year=2021, event="war"),
        R("rel-az-kalbajar-public-library", "library", "Public Library of Kəlbəcər", "kalbajar",
          "District library, moved out of the town in 1993; part of its card catalogue survives in an archive "
          "in Gəncə.",
          names=(("Kəlbəcər rayon kitabxanası", "az"),), subjects=("books",), period=("1951", 1951, 1951),
          status="unknown", year=1994),
        R("rel-az-goygol-lutheran-church", "church", "Lutheran church of the German settlers", "goygol",
          "Stone church with a square belfry, built in 1857 by Swabian colonists of Helenendorf; used as a "
          "concert hall for its organ since the 1990s.",
          subjects=("religious architecture",), period=("1857", 1857, 1857), status="intact", year=2018),
        R("rel-az-lahij-coppersmiths", "other", "Misgərlər küçəsi", "lahij",
          "Row of thirty coppersmiths' workshops along a cobbled lane; trays, jugs and cauldrons are still "
          "hammered there.",
          names=(("Misgərlər küçəsi", "az"),), subjects=("craft",), period=("XIX-XX centuries", 1801, 2000),
          status="intact", year=2019),
        R("rel-az-tbilisi-zeynalov-letters", "other", "Correspondence of the Zeynalov trading house", "tbilisi",
          "Bundle of 212 letters between a silk trading house in Tiflis and its agents in Ganja and Nukha, "
          "1881–1899.",
          forms=("en",), subjects=("trade", "silk", "letters"), period=("1881-1899", 1881, 1899),
          status="intact", year=2007),
        R("rel-az-baku-hyrcanian-herbarium", "other", "Herbarium of the Hyrcanian forest", "baku",
          "Four hundred plant sheets collected around Lenkoran and Astara in 1928, with labels in Russian.",
          subjects=("botany",), period=("1928", 1928, 1928), status="intact", year=2016),
        R("rel-az-derbent-kelaghayi-samples", "other", "Sample book of silk headscarves", "derbent",
          "Sample book of kelaghayi headscarves ordered from dyers of Sheki in 1899 by a merchant of the town.",
          forms=("en",), subjects=("kəlağayı", "textiles"), period=("1899", 1899, 1899), status="intact",
          year=2010),
        R("rel-az-baku-salt-miners-songs", "other", "Work songs of the salt miners", "baku",
          "Field recordings of work songs made among rock-salt miners near Nakhichevan in 1967, on "
          "twelve tapes.",
          subjects=("music", "folklore"), period=("1967", 1967, 1967), status="intact", year=2003),
        R("rel-az-sheki-omarefendi-mosque", "mosque", "Ömər Əfəndi məscidi", "sheki",
          "Closed in 1930 and turned into a museum of atheism; prayers resumed in 1991 after repairs to the "
          "roof.",
          names=(("Ömər Əfəndi məscidi", "az"),), forms=("az",), subjects=("religious architecture",),
          period=("1846", 1846, 1846), status="intact", year=2015),
        # Uzbekistan
        R("rel-uz-tashkent-beshyogoch-madrasa", "school", "Beshyogʻoch madrasasi", "tashkent",
          "Madrasa of a city quarter with 38 students' cells around a courtyard and a summer mosque with a "
          "carved ceiling.",
          names=(("Beshyogʻoch madrasasi", "uz"), ("Медресе Бешагач", "ru")), subjects=("education",),
          period=("XIX century", 1801, 1900), status="damaged", year=2006),
        R("rel-uz-samarkand-gishtkoprik-mosque", "mosque", "Gʻishtkoʻprik masjidi", "samarkand",
          "Quarter mosque with a carved elm aivan of twelve columns and a small pool in front.",
          names=(("Gʻishtkoʻprik masjidi", "uz"),), subjects=("religious architecture",),
          period=("1910", 1910, 1910), status="intact", year=2017),
        R("rel-uz-bukhara-abdullaxoja-hammom", "other", "Abdulla Xoʻja hammomi", "bukhara",
          "Bath-house sunk half below street level, its domes heated by a furnace under the hot room.",
          names=(("Abdulla Xoʻja hammomi", "uz"),), country="short", subjects=("baths",),
          period=("XVI century", 1501, 1600), status="intact", year=2013),
        R("rel-uz-khiva-sayyidniyoz-minaret", "monument", "Sayyid Niyoz minorasi", "khiva",
          "Slender brick minaret 26 m high, banded with green and white glazed tiles.",
          names=(("Sayyid Niyoz minorasi", "uz"),), subjects=("religious architecture",),
          period=("1842", 1842, 1842), status="intact", year=2016),
        R("rel-uz-kokand-lithographic-press", "other", "Qoʻqon toshbosmaxonasi", "kokand",
          "Lithographic workshop that printed Chagatai poetry and school primers from 1908 to 1924.",
          names=(("Qoʻqon toshbosmaxonasi", "uz"),), subjects=("printing", "books"),
          period=("1908-1924", 1908, 1924), status="unknown", year=2001),
        R("rel-uz-fergana-puppet-theatre", "club", "Fargʻona qoʻgʻirchoq teatri", "fergana",
          "Puppet theatre founded in 1940 in the former officers' club, with a hall of 150 seats.",
          names=(("Fargʻona qoʻgʻirchoq teatri", "uz"),), subjects=("theatre",), period=("1940", 1940, 1940),
          status="intact", year=2018),
        R("rel-uz-termez-oqmachit-monastery", "archaeological_site", "Oqmachit monastery mound", "termez",
          "Buddhist monastery mound of the Kushan period with a cave sanctuary and fragments of painted "
          "plaster.",
          names=(("Oqmachit", "uz"),), subjects=("archaeology", "Buddhism"), period=("II-III centuries", 100, 300),
          status="at_risk", year=2012),
        R("rel-uz-samarkand-telegraph-office", "other", "Old telegraph office", "samarkand",
          "Brick office built when the first telegraph line from Tashkent reached the town in 1873.",
          subjects=("communications",), period=("1873", 1873, 1873), status="damaged", year=2011),
        # Turkey
        R("rel-tr-kars-yenikapi-hamam", "other", "Yenikapı Hamamı", "kars",
          "Bath-house of dark basalt with a single large dome; the hamam closed in 1985.",
          names=(("Yenikapı Hamamı", "tr"),), subjects=("baths",), period=("XVIII century", 1701, 1800),
          status="at_risk", year=2014),
        R("rel-tr-urfa-hacikamil-mosque", "mosque", "Hacı Kâmil Camii", "urfa",
          "Courtyard mosque of pale limestone near the pools of the old town, with a ribbed dome.",
          names=(("Hacı Kâmil Camii", "tr"),), forms=("tr",), subjects=("religious architecture",),
          period=("XVII century", 1601, 1700), status="intact", year=2019),
        R("rel-tr-erzurum-aga-kumbet", "tomb", "Ağa Kümbeti", "erzurum",
          "Conical-roofed tomb tower of the thirteenth century with a carved portal and a crypt.",
          names=(("Ağa Kümbeti", "tr"),), subjects=("funerary architecture",), period=("XIII century", 1201, 1300),
          status="intact", year=2015),
        R("rel-tr-konya-kadilar-madrasa", "school", "Kadılar Medresesi", "konya",
          "Madrasa for the training of judges, built around an open courtyard with a stone ivan.",
          names=(("Kadılar Medresesi", "tr"),), subjects=("education",), period=("XIII century", 1201, 1300),
          status="damaged", year=2010),
        R("rel-tr-diyarbakir-hasirli-han", "other", "Hasırlı Han", "diyarbakir",
          "Caravanserai of black basalt on two floors; the courtyard arcades are striped with white stone.",
          names=(("Hasırlı Han", "tr"),), subjects=("trade",), period=("XVI century", 1501, 1600),
          status="intact", year=2016),
        R("rel-tr-van-kayacelebi-library", "library", "Kaya Çelebi Kütüphanesi", "van",
          "Manuscript library in the annex of an eighteenth-century mosque; 600 volumes were moved to the "
          "provincial museum.",
          names=(("Kaya Çelebi Kütüphanesi", "tr"),), subjects=("manuscripts",),
          period=("XVIII century", 1701, 1800), status="damaged", year=2012),
        R("rel-tr-ani-lower-bath-trench", "archaeological_site", "Lower bath excavation area", "ani",
          "Excavation trench exposing a medieval bath with clay pipes and a stoke-hole.",
          subjects=("archaeology",), period=("XI-XIII centuries", 1001, 1300), status="at_risk", year=2013),
        # Russia
        R("rel-ru-derbent-dyubek-mosque", "mosque", "Мечеть Дюбек", "derbent",
          "Квартальная мечеть из тёсаного камня. В 1930-х годах мечеть была разрушена, минарет снесён; "
          "уцелели стены молитвенного зала.",
          names=(("Мечеть Дюбек", "ru"),), subjects=("religious architecture",),
          period=("XVIII век", 1701, 1800), status="damaged", year=2009),
        R("rel-ru-kazan-mansuri-library", "library", "Библиотека Мансури", "kazan",
          "Библиотека в бывшем доме купца: татарские и арабские книги, газеты начала XX века.",
          names=(("Библиотека Мансури", "ru"),), subjects=("books",), period=("1908", 1908, 1908),
          status="intact", year=2016),
        R("rel-ru-vologda-ilya-church", "church", "Деревянная церковь Ильи Пророка в Заречье", "vologda",
          "Шатровая деревянная церковь, срубленная в 1712 году. В 1930-х годах закрыта и превращена в "
          "склад; кровля обрушилась.",
          names=(("Деревянная церковь Ильи Пророка в Заречье", "ru"),), subjects=("wooden architecture",),
          period=("1712", 1712, 1712), status="damaged", year=2008),
        R("rel-ru-ufa-sabir-mosque", "mosque", "Мечеть Сабир", "ufa",
          "Wooden mosque of a suburban quarter with a minaret rising from the roof ridge.",
          names=(("Мечеть Сабир", "ru"),), subjects=("religious architecture",), period=("1894", 1894, 1894),
          status="intact", year=2011),
        R("rel-ru-astrakhan-hajiyev-house", "museum", "Дом купца Гаджиева", "astrakhan",
          "Merchant house of an Azerbaijani trading family, now a small museum of the Caspian fish trade.",
          names=(("Дом купца Гаджиева", "ru"), ("Tacir Hacıyevin evi", "az")), subjects=("trade",),
          period=("1880s", 1880, 1889), status="intact", year=2017),
        R("rel-ru-kizhi-nicholas-chapel", "church", "Часовня Николая Чудотворца", "kizhi",
          "Small wooden chapel of logs with a shingled onion dome and a bell gable.",
          names=(("Часовня Николая Чудотворца", "ru"),), subjects=("wooden architecture",),
          period=("XVIII century", 1701, 1800), status="intact", year=2015),
        R("rel-ru-samara-rivermen-house-of-culture", "house_of_culture", "Rivermen's House of Culture",
          "samara", "House of culture of the river port, with a cinema hall and a brass band room, opened "
          "in 1957.",
          names=(("Дом культуры речников", "ru"),), subjects=("culture",), period=("1957", 1957, 1957),
          status="damaged", year=2013),
        # Iran
        R("rel-ir-isfahan-moneychangers-mosque", "mosque", "Moneychangers' Mosque", "isfahan",
          "Small mosque of the moneychangers' guild inside the bazaar, with a tiled portal dated 1636.",
          names=(("مسجد صرافها", "fa"),), forms=("fa",), subjects=("religious architecture",),
          period=("1636", 1636, 1636), status="intact", year=2012),
        R("rel-ir-isfahan-golbahar-caravanserai", "other", "Caravansérail Golbahar", "isfahan",
          "Caravansérail à deux niveaux près du pont, restauré en 1970 et transformé en hôtel.",
          names=(("کاروانسرای گلبهار", "fa"),), forms=("en",), subjects=("trade",),
          period=("XVII century", 1601, 1700), status="intact", year=2014),
        R("rel-ir-isfahan-julfa-merchant-house", "museum", "Maison de marchand arménien", "isfahan",
          "Maison de marchand de la Nouvelle-Djoulfa aux plafonds peints ; musée des arts du textile "
          "depuis 1998.",
          forms=("fr",), subjects=("textiles",), period=("XVII century", 1601, 1700), status="intact",
          year=2016),
        R("rel-ir-isfahan-calligraphy-school", "school", "School of calligraphy of Esfahan", "isfahan",
          "School of nastaliq calligraphy in a Qajar house with a garden court.",
          forms=("en2",), subjects=("calligraphy", "education"), period=("XIX century", 1801, 1900),
          status="intact", year=2010),
        R("rel-ir-tabriz-mirzeshefi-timche", "other", "Mirzə Şəfi timçəsi", "tabriz",
          "Domed hall of the bazaar where carpets were sold; lit through openings in the vaults.",
          names=(("Mirzə Şəfi timçəsi", "az"), ("تیمچه میرزا شفیع", "fa")), subjects=("trade", "carpets"),
          period=("XIX century", 1801, 1900), status="intact", year=2018),
        R("rel-ir-mashhad-bookbinders-library", "library", "Bookbinders' Library", "mashhad",
          "Library of the bookbinders' guild, with gilt leather bindings and pattern stamps.",
          names=(("کتابخانه صحافان", "fa"),), subjects=("books", "bookbinding"), period=("1921", 1921, 1921),
          status="intact", year=2013),
        R("rel-ir-shiraz-kowsar-pavilion", "monument", "Pavillon du jardin Kowsar", "shiraz",
          "Pavillon d'été à miroirs dans un jardin clos ; les vitraux ont été refaits en 1965.",
          names=(("عمارت باغ کوثر", "fa"),), subjects=("gardens",), period=("XIX century", 1801, 1900),
          status="intact", year=2014),
        R("rel-ir-yazd-seyyedjafar-cistern", "other", "Ab-anbar-e Seyyed Ja'far", "yazd",
          "Domed water cistern with four wind-catchers and a long stair down to the tap.",
          names=(("آب انبار سید جعفر", "fa"),), subjects=("water",), period=("XIX century", 1801, 1900),
          status="intact", year=2015),
        R("rel-ir-kashan-ruhani-house", "museum", "Khaneh-ye Ruhani", "kashan",
          "Merchant house with a sunken courtyard and stucco mirror work, now a museum of rosewater making.",
          names=(("خانه روحانی", "fa"),), subjects=("architecture",), period=("XIX century", 1801, 1900),
          status="intact", year=2017),
        R("rel-ir-qazvin-mowlavi-madrasa", "school", "Madrasa-ye Mowlavi", "qazvin",
          "Two-storey madrasa with a tiled ivan; a traveller of the 1850s wrote of it as the finest in Kazvin.",
          names=(("مدرسه مولوی", "fa"),), subjects=("education",), period=("XVIII century", 1701, 1800),
          status="damaged", year=2012),
        R("rel-ir-kerman-kaykhosrovi-school", "school", "Dabestan-e Kaykhosrovi", "kerman",
          "Zoroastrian primary school of the city, with a fire-temple courtyard behind it.",
          names=(("دبستان کیخسروی", "fa"),), subjects=("education", "Zoroastrianism"),
          period=("1932", 1932, 1932), status="intact", year=2019),
        R("rel-ir-maragheh-mirhajji-tomb", "mausoleum", "Gonbad-e Mir Hajji", "maragheh",
          "Square tomb tower of brick with a blue-glazed Kufic band under the cornice.",
          names=(("گنبد میر حاجی", "fa"), ("Mir Hacı günbəzi", "az")), subjects=("funerary architecture",),
          period=("XIV century", 1301, 1400), status="intact", year=2011),
        # Georgia
        R("rel-ge-tbilisi-artisans-house", "house_of_culture", "ავლაბრის ხელოსანთა სახლი", "tbilisi",
          "Meeting house of the craft guilds of a riverside quarter, built in 1870 with a timber balcony on "
          "two sides.",
          names=(("ავლაბრის ხელოსანთა სახლი", "ka"),), forms=("ka",), subjects=("craft",),
          period=("1870", 1870, 1870), status="damaged", year=2014),
        R("rel-ge-mtskheta-barbara-chapel", "church", "Chapel of St Barbara, Mtskheta", "mtskheta",
          "Single-nave chapel of river stones from the ninth century, with a later porch.",
          names=(("წმინდა ბარბარეს სამლოცველო", "ka"),), subjects=("religious architecture",),
          period=("IX century", 801, 900), status="intact", year=2016),
        R("rel-ge-gori-puppet-theatre", "club", "Gori Puppet Theatre", "gori",
          "Puppet theatre in a converted warehouse, with its own workshop of carved heads.",
          subjects=("theatre",), period=("1962", 1962, 1962), status="intact", year=2018),
        R("rel-ge-kutaisi-silk-cooperative", "other", "ქუთაისის აბრეშუმის არტელი", "kutaisi",
          "Silk weaving cooperative with forty looms, active from 1926 to 1959.",
          names=(("ქუთაისის აბრეშუმის არტელი", "ka"),), forms=("en",), subjects=("silk", "industry"),
          period=("1926-1959", 1926, 1959), status="at_risk", year=2010),
        R("rel-ge-sighnaghi-kiziki-tower", "monument", "Tower of the Kiziki Gate", "sighnaghi",
          "Round tower of the town wall guarding the gate towards the Alazani valley.",
          names=(("კიზიყის კარიბჭის კოშკი", "ka"),), forms=("en",), subjects=("fortification",),
          period=("1772", 1772, 1772), status="intact", year=2017),
        R("rel-ge-telavi-kurdgelauri-marani", "other", "ქურდღელაურის მარანი", "telavi",
          "Wine cellar with 42 clay qvevri jars buried in the floor and a press carved from one log.",
          names=(("ქურდღელაურის მარანი", "ka"),), subjects=("wine",),
          period=("XIX century", 1801, 1900), status="intact", year=2019),
        R("rel-ge-vani-hillside-sanctuary", "archaeological_site", "Hillside sanctuary trench", "vani",
          "Trench on the terraced hillside exposing an altar platform and bronze votive figures.",
          subjects=("archaeology",), period=("III-I c. BCE", -300, -1), status="at_risk", year=2015),
        # Armenia
        R("rel-am-yerevan-kond-bath", "other", "Կոնդի բաղնիք", "yerevan",
          "Bath-house of an old hill quarter with two domed halls; closed in 1975.",
          names=(("Կոնդի բաղնիք", "hy"),), forms=("en",), subjects=("baths",),
          period=("XIX century", 1801, 1900), status="at_risk", year=2014),
        R("rel-am-gyumri-weavers-house", "museum", "Weavers' house of Kumayri", "gyumri",
          "Two-storey tufa house with a loom room; the earthquake of December 1988 cracked its walls.",
          subjects=("textiles",), period=("1890s", 1890, 1899), status="damaged", year=1989,
          cause="earthquake"),
        R("rel-am-goris-rock-dwellings", "archaeological_site", "Գորիսի ժայռափոր կացարաններ", "goris",
          "Cone-shaped rocks hollowed into dwellings and stables, lived in until the 1920s.",
          names=(("Գորիսի ժայռափոր կացարաններ", "hy"),), forms=("en",), subjects=("vernacular architecture",),
          period=("medieval - 1920s", 1001, 1929), status="intact", year=2013),
        R("rel-am-dilijan-balcony-house", "museum", "Dilijan balcony house", "dilijan",
          "Timber-framed house with a carved balcony, now a museum of local crafts.",
          subjects=("crafts",), period=("1880s", 1880, 1889), status="intact", year=2016),
        R("rel-am-sisian-ashotavan-khachkars", "monument", "Աշոտավանի խաչքարեր", "sisian",
          "Field of eleven khachkars (carved cross-stones) beside a ruined chapel.",
          names=(("Աշոտավանի խաչքարեր", "hy"),), subjects=("khachkars",), period=("XIII century", 1201, 1300),
          status="at_risk", year=2012),
        R("rel-am-vanadzor-chemists-club", "club", "Chemists' Club of Vanadzor", "vanadzor",
          "Club of the chemical works, built when the town was called Kirovakan; a hall with 500 seats.",
          forms=("en",), subjects=("culture",), period=("1935", 1935, 1935), status="damaged", year=1990),
        # China
        R("rel-cn-xian-guihua-mosque", "mosque", "西安桂花巷清真寺", "xian",
          "Courtyard mosque of the Hui quarter, with a timber prayer hall under grey tiles and a pavilion "
          "minaret.",
          names=(("西安桂花巷清真寺", "zh"), ("Guihua Lane Mosque", "en")), subjects=("religious architecture",),
          period=("Ming dynasty", 1368, 1644), status="intact", year=2014),
        R("rel-cn-pingyao-yongheyu-bank", "museum", "平遥永和裕票号", "pingyao",
          "Former draft bank of the Qing period, with the counting room and strongroom kept as they were.",
          names=(("平遥永和裕票号", "zh"), ("Yongheyu Draft Bank Museum", "en")), subjects=("banking",),
          period=("Qing dynasty", 1644, 1911), status="intact", year=2016),
        R("rel-cn-suzhou-taohuawu-prints", "other", "苏州桃花坞木刻年画社", "suzhou",
          "Workshop of woodblock New Year prints, with carved pear-wood blocks from the 1890s.",
          names=(("苏州桃花坞木刻年画社", "zh"),), subjects=("printing", "folk art"),
          period=("1890s-1950s", 1890, 1959), status="at_risk", year=2012),
        R("rel-cn-fuzhou-lin-residence", "other", "福州三坊七巷林氏民居", "fuzhou",
          "Residence of the Lin family in the old lanes district: three courtyards behind a high fire wall.",
          names=(("福州三坊七巷林氏民居", "zh"),), subjects=("vernacular architecture",),
          period=("Qing dynasty", 1644, 1911), status="intact", year=2018),
        R("rel-cn-kashgar-pottery-workshop", "other", "喀什土陶作坊", "kashgar",
          "Family pottery workshop on the clay cliff of the old town, with a wood-fired kiln.",
          names=(("喀什土陶作坊", "zh"),), subjects=("craft",), period=("XX century", 1901, 2000),
          status="at_risk", year=2009),
        R("rel-cn-beijing-dongcheng-library", "library", "北京东城区图书馆旧馆", "beijing",
          "Old building of the district library, a two-storey brick hall of 1950 with a reading garden.",
          names=(("北京东城区图书馆旧馆", "zh"),), subjects=("books",), period=("1950", 1950, 1950),
          status="intact", year=2015),
        R("rel-cn-quanzhou-nanyin-hall", "club", "泉州南音会馆", "quanzhou",
          "Guild hall of nanyin music players, with a stage facing an open court.",
          names=(("泉州南音会馆", "zh"),), subjects=("music",), period=("1920s", 1920, 1929),
          status="intact", year=2017),
        R("rel-cn-hangzhou-silk-dyeworks", "other", "杭州丝绸印染厂旧址", "hangzhou",
          "Site of a silk dyeing and printing works of the 1950s, its sawtooth roofs kept as a design park.",
          names=(("杭州丝绸印染厂旧址", "zh"),), subjects=("silk", "industry"), period=("1956", 1956, 1956),
          status="intact", year=2019),
        # Japan
        R("rel-jp-kyoto-nishijin-guild-office", "other", "京都西陣旧織物組合事務所", "kyoto",
          "Former office of the weavers' guild, a two-storey wooden building with a lattice front.",
          names=(("京都西陣旧織物組合事務所", "ja"),), subjects=("textiles",), period=("1912", 1912, 1912),
          status="intact", year=2016),
        R("rel-jp-nara-ink-workshop", "other", "奈良旧墨工房", "nara",
          "Workshop where ink sticks were pressed from pine soot and glue and dried in ash.",
          names=(("奈良旧墨工房", "ja"),), country="long", subjects=("craft",), period=("Meiji era", 1868, 1912),
          status="intact", year=2014),
        R("rel-jp-nikko-kanaya-photo-studio", "other", "日光旧金谷写真館", "nikko",
          "Former photographic studio of the Kanaya family, with a glass-roofed studio room.",
          names=(("日光旧金谷写真館", "ja"),), subjects=("photography",), period=("1890s", 1890, 1899),
          status="intact", year=2013),
        R("rel-jp-kanazawa-yuzen-dyeworks", "other", "金沢旧加賀友禅染工場", "kanazawa",
          "Former dye works for silk kimono cloth, with a rinsing channel fed by the river.",
          names=(("金沢旧加賀友禅染工場", "ja"),), subjects=("textiles",), period=("1920s", 1920, 1929),
          status="at_risk", year=2017),
        R("rel-jp-hagi-old-kiln-site", "archaeological_site", "萩焼古窯跡", "hagi",
          "Climbing kiln of eight chambers on a hillside, excavated in 1984.",
          names=(("萩焼古窯跡", "ja"),), subjects=("archaeology", "ceramics"), period=("XVII century", 1601, 1700),
          status="at_risk", year=2011),
        R("rel-jp-kyoto-bairin-school", "school", "京都旧梅林小学校", "kyoto",
          "Former primary school built by the townspeople in 1869, now a community hall.",
          names=(("京都旧梅林小学校", "ja"),), subjects=("education",), period=("1869", 1869, 1869),
          status="intact", year=2018),
        # Arab countries
        R("rel-sy-aleppo-fustuq-khan", "other", "Khan al-Fustuq", "aleppo",
          "Caravansérail du souk des fruits secs ; la destruction de la façade et d'une partie des voûtes "
          "date de 2016.",
          names=(("خان الفستق", "ar"),), subjects=("trade",), period=("XVI century", 1501, 1600),
          status="damaged", year=2017, event="guerre"),
        R("rel-sy-damascus-ward-hammam", "other", "Hammam al-Ward", "damascus",
          "Public bath with a domed changing hall and a marble fountain.",
          names=(("حمام الورد", "ar"),), subjects=("baths",), period=("XVIII century", 1701, 1800),
          status="intact", year=2010),
        R("rel-sy-hama-babalnahr-noria", "monument", "Noria of Bab al-Nahr", "hama",
          "Wooden water-wheel on the Orontes lifting river water to an aqueduct.",
          names=(("ناعورة باب النهر", "ar"),), subjects=("water",), period=("XIV century", 1301, 1400),
          status="damaged", year=2014),
        R("rel-sy-mari-north-sounding", "archaeological_site", "Tell Hariri north sounding", "mari",
          "Sounding at the north edge of the mound, down to a mud-brick wall of the third millennium BCE.",
          subjects=("archaeology",), period=("III millennium BCE", -3000, -2001), status="unknown", year=2011),
        R("rel-eg-cairo-hasanagha-sabil", "school", "Sabil-kuttab of Hasan Agha", "cairo",
          "Ottoman water dispensary with a Qur'an school above it; the corner qubba is clad in marble.",
          names=(("سبيل كتاب حسن أغا", "ar"),), subjects=("water", "education"), period=("1718", 1718, 1718),
          status="intact", year=2015),
        R("rel-ma-fes-dyers-fondouk", "other", "Fondouk des teinturiers", "fes",
          "Fondouk à galeries autour d'une cour, où logeaient les teinturiers de laine et de soie.",
          names=(("فندق الصباغين", "ar"),), forms=("fr",), subjects=("trade", "craft"),
          period=("XIV century", 1301, 1400), status="damaged", year=2012),
        R("rel-iq-samarra-abbasid-canal", "archaeological_site", "Abbasid canal sounding", "samarra",
          "Sounding across a silted canal of the ninth-century city, with glazed sherds in its fill.",
          subjects=("archaeology",), period=("IX century", 801, 900), status="unknown", year=2010),
        # Central Asia, Baltic, France
        R("rel-tm-mary-railway-club", "club", "Railway workers' club", "mary",
          "Club of the railway depot, opened in 1929 with a cinema and a library room.",
          subjects=("culture",), period=("1929", 1929, 1929), status="intact", year=2010),
        R("rel-tm-merv-kiln-field", "archaeological_site", "Potters' kiln field", "mary",
          "Field of pottery kilns outside the walls of medieval Merv.",
          forms=("en",), subjects=("archaeology", "ceramics"), period=("X-XII centuries", 901, 1200),
          status="at_risk", year=2012),
        R("rel-kg-uzgen-teahouse-library", "library", "Өзгөн чайканасынын китепканасы", "uzgen",
          "Reading room attached to a teahouse on the bazaar square, with books in Kyrgyz, Uzbek and Russian.",
          names=(("Өзгөн чайканасынын китепканасы", "ky"),), subjects=("books",), period=("1964", 1964, 1964),
          status="intact", year=2016),
        R("rel-tj-khujand-silk-guild", "other", "Толори бофандагони абрешим", "khujand",
          "Guild hall of the silk weavers, whose members sold raw silk in Bukhara and Kokand.",
          names=(("Толори бофандагони абрешим", "tg"),), subjects=("silk", "trade"),
          period=("XIX century", 1801, 1900), status="damaged", year=2011),
        R("rel-ee-narva-textile-school", "school", "Нарвская текстильная школа", "narva",
          "Textile vocational school of the cotton mill, in a brick building by the waterfall.",
          names=(("Нарвская текстильная школа", "ru"),), forms=("ru",), subjects=("education", "textiles"),
          period=("1899", 1899, 1899), status="damaged", year=2013),
        R("rel-fr-marseille-armenian-chapel", "church", "Chapelle arménienne de Saint-Loup", "marseille",
          "Chapelle construite en 1931 par des familles arméniennes réfugiées ; clocher-mur et autel de "
          "pierre.",
          subjects=("religious architecture",), period=("1931", 1931, 1931), status="intact", year=2015),
        R("rel-fr-marseille-persian-tiles", "other", "Relevés de céramiques persanes", "marseille",
          "Carnet de relevés de carreaux de faïence dessinés à Ispahan et à Kachan en 1912.",
          subjects=("ceramics", "drawings"), period=("1912", 1912, 1912), status="intact", year=2009),
    ]


# -- background records -------------------------------------------------------------------------

BACKGROUND_KINDS = ("school", "library", "cemetery", "house_of_culture", "club", "museum", "monument")
TITLES = {
    "en": {"school": "School No. {n}, {P}", "library": "{P} Public Library", "cemetery": "Old Cemetery of {P}",
           "house_of_culture": "{P} House of Culture", "club": "{P} Workers' Club",
           "museum": "{P} Museum of Local History", "monument": "Memorial to the Fallen, {P}"},
    "az": {"school": "{P} {n} nömrəli məktəb", "library": "{P} rayon kitabxanası",
           "cemetery": "{P} köhnə qəbiristanlığı", "house_of_culture": "{P} Mədəniyyət evi",
           "club": "{P} fəhlə klubu", "museum": "{P} Tarix-Diyarşünaslıq Muzeyi", "monument": "{P} xatirə abidəsi"},
    "ru": {"school": "Школа № {n} ({P})", "library": "Городская библиотека ({P})",
           "cemetery": "Старое кладбище ({P})", "house_of_culture": "Дом культуры ({P})",
           "club": "Рабочий клуб ({P})", "museum": "Краеведческий музей ({P})", "monument": "Памятник павшим ({P})"},
}
TITLE_LANG = {"AZ": ("az", "en"), "RU": ("ru",), "KG": ("ru",), "TJ": ("ru",), "UZ": ("en", "ru"), "EE": ("ru",)}
SUBJECTS = {"school": "education", "library": "books", "cemetery": "funerary architecture",
            "house_of_culture": "culture", "club": "culture", "museum": "local history", "monument": "memorial"}
MATERIALS = ("red brick", "grey stone", "timber", "limestone", "mud brick", "concrete", "basalt", "tufa")
STONES = ("granite", "limestone", "basalt", "tufa", "marble")
STOREYS = ("single-storey", "two-storey", "three-storey")
WHERE = ("on the main street", "near the river", "at the edge of the old quarter", "beside the bus station",
         "on a hill above the town", "next to the market", "in a courtyard off the square")
#: First sentence by kind (buildings by default), then a later change, then the condition.
FIRST = {
    "cemetery": "A walled cemetery of about {graves} graves {where}, in use since {built}.",
    "monument": "A {stone} obelisk with a bronze relief, unveiled in {built} {where}.",
    "building": "A {storeys} building of {material} put up in {built}, {where}.",
}
EXTRA = {
    "cemetery": ("The gatehouse was rebuilt in {y}.", "A new section was opened in {y}.",
                 "Its burial register was lost in a fire in {y}."),
    "monument": ("The relief was recast in {y}.", "Names were added to it in {y}.",
                 "It was moved to this spot in {y}."),
    "building": ("A new wing was added in {y}.", "The building was renamed in {y}.", "It was enlarged in {y}.",
                 "Its archive was lost in a fire in {y}.", "Repairs were made in {y} with local funds."),
}
CONDITION = {
    "intact": "It is in use and in fair repair.",
    "damaged": "Cracks and broken stonework were noted in {y}.",
    "destroyed": "Nothing but rubble remained in {y}.",
    "at_risk": "Water and neglect threaten it.",
    "unknown": "Its present state is not known.",
}


def background(src: Sources, seed: int = 15) -> list[dict[str, Any]]:
    """Three to five ordinary records per town, in the languages of its country."""
    rng = random.Random(seed)
    out = []
    for key in sorted(PLACES):
        place = PLACES[key]
        for i, kind in enumerate(rng.sample(BACKGROUND_KINDS, rng.randint(3, 5))):
            lang = rng.choice(TITLE_LANG.get(place.country, ("en",)))
            title = TITLES[lang][kind].format(n=rng.randint(1, 40), P=place.value(lang))
            built = rng.randint(1860, 1990)
            status = rng.choice(tuple(CONDITION))
            seen = rng.randint(max(built + 5, 1990), 2023)
            shape = kind if kind in FIRST else "building"
            desc = " ".join((
                FIRST[shape].format(graves=rng.randrange(200, 3000, 50), where=rng.choice(WHERE), built=built,
                                    material=rng.choice(MATERIALS), stone=rng.choice(STONES),
                                    storeys=rng.choice(STOREYS)),
                rng.choice(EXTRA[shape]).format(y=rng.randint(built + 1, 2000)),
                CONDITION[status].format(y=seen)))
            out.append(record(src, f"rel-bg-{key}-{i + 1}", kind, title, key, desc,
                              subjects=(SUBJECTS[kind],), period=(str(built), built, built), status=status,
                              year=seen))
    return out


def collection() -> list[dict[str, Any]]:
    """Every record of the collection, targets first, in a fixed order."""
    src = Sources()
    records = targets(src) + background(src)
    ids = [r["id"] for r in records]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise SystemExit(f"duplicate ids: {sorted(duplicates)}")
    return records


def render(records: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in records)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the file differs from a fresh build")
    args = parser.parse_args()
    text = render(collection())
    if args.check:
        current = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        if current != text:
            print(f"{OUT} is stale: run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, encoding="utf-8")
    print(f"{OUT}: {text.count(chr(10))} records")
    return 0


if __name__ == "__main__":
    sys.exit(main())
