"""Countries and places of the relevance collection, each with the spellings records use.

Real town names in several scripts and transliteration systems (that is what the relevance
set is about); the items recorded in them are invented (see `make_collection.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

#: Country forms a record may carry: short English, long official, and the local form.
COUNTRIES: dict[str, dict[str, str]] = {
    "AZ": {"short": "Azerbaijan", "long": "Republic of Azerbaijan", "local": "Azərbaycan"},
    "UZ": {"short": "Uzbekistan", "long": "Republic of Uzbekistan", "local": "Oʻzbekiston"},
    "TR": {"short": "Turkey", "long": "Republic of Türkiye", "local": "Türkiye"},
    "RU": {"short": "Russia", "long": "Russian Federation", "local": "Россия"},
    "IR": {"short": "Iran", "long": "Islamic Republic of Iran", "local": "ایران"},
    "GE": {"short": "Georgia", "long": "Georgia", "local": "საქართველო"},
    "AM": {"short": "Armenia", "long": "Republic of Armenia", "local": "Հայաստան"},
    "CN": {"short": "China", "long": "People's Republic of China", "local": "中国"},
    "JP": {"short": "Japan", "long": "日本国", "local": "日本"},
    "SY": {"short": "Syria", "long": "Syrian Arab Republic", "local": "سوريا"},
    "TM": {"short": "Turkmenistan", "long": "Turkmenistan", "local": "Türkmenistan"},
    "EG": {"short": "Egypt", "long": "Arab Republic of Egypt", "local": "مصر"},
    "MA": {"short": "Morocco", "long": "Kingdom of Morocco", "local": "المغرب"},
    "IQ": {"short": "Iraq", "long": "Republic of Iraq", "local": "العراق"},
    "KG": {"short": "Kyrgyzstan", "long": "Kyrgyz Republic", "local": "Кыргызстан"},
    "TJ": {"short": "Tajikistan", "long": "Republic of Tajikistan", "local": "Тоҷикистон"},
    "EE": {"short": "Estonia", "long": "Republic of Estonia", "local": "Eesti"},
    "FR": {"short": "France", "long": "French Republic", "local": "France"},
}


@dataclass(frozen=True)
class Place:
    """A town with its spellings: (key, value, BCP 47 language), the default ones first."""

    key: str
    country: str
    admin: str
    forms: tuple[tuple[str, str, str], ...]
    #: The form keys a record uses unless it says otherwise.
    default: tuple[str, ...]
    #: The country form ("short", "long" or "local") records use unless they say otherwise.
    country_form: str = "short"

    def form(self, key: str) -> tuple[str, str]:
        """(value, lang) of one spelling."""
        for k, value, lang in self.forms:
            if k == key:
                return value, lang
        raise KeyError(f"{self.key} has no form {key!r}")

    def value(self, lang: str) -> str:
        """The spelling in `lang`, else the first default one."""
        for _, value, form_lang in self.forms:
            if form_lang == lang:
                return value
        return self.form(self.default[0])[0]


def _p(key: str, country: str, admin: str, forms: str, default: str = "", country_form: str = "short") -> Place:
    """A place from "key=value@lang; ..." (compact to write, easy to read)."""
    parsed = []
    for part in forms.split(";"):
        k, rest = part.strip().split("=", 1)
        value, lang = rest.rsplit("@", 1)
        parsed.append((k, value, lang))
    keys = tuple(default.split(",")) if default else tuple(k for k, _, _ in parsed[:2])
    return Place(key, country, admin, tuple(parsed), keys, country_form)


PLACES: dict[str, Place] = {p.key: p for p in (
    # Azerbaijan
    _p("shusha", "AZ", "Shusha District", "az=Şuşa@az; en=Shusha@en; ru=Шуша@ru", country_form="long"),
    _p("ganja", "AZ", "Ganja", "az=Gəncə@az; en=Ganja@en; ru=Гянджа@ru"),
    _p("sheki", "AZ", "Shaki-Zagatala", "az=Şəki@az; en=Sheki@en; ru=Шеки@ru", country_form="long"),
    _p("qazax", "AZ", "Gazakh District", "az=Qazax@az; en=Gazakh@en; ru=Казах@ru", "az"),
    _p("shamakhi", "AZ", "Shamakhi District", "az=Şamaxı@az; en=Shamakhi@en; ru=Шемаха@ru", "az"),
    _p("nakhchivan", "AZ", "Nakhchivan AR", "az=Naxçıvan@az; en=Nakhchivan@en; ru=Нахичевань@ru"),
    _p("lankaran", "AZ", "Lankaran District", "az=Lənkəran@az; en=Lankaran@en; ru=Ленкорань@ru", "az"),
    _p("quba", "AZ", "Quba District", "az=Quba@az; en=Guba@en; ru=Куба@ru", "az,en"),
    _p("zaqatala", "AZ", "Zaqatala District", "az=Zaqatala@az; en=Zagatala@en; ru=Закатала@ru", "az"),
    _p("aghdam", "AZ", "Aghdam District", "az=Ağdam@az; en=Aghdam@en; ru=Агдам@ru", "az"),
    _p("agdash", "AZ", "Agdash District", "az=Ağdaş@az; en=Agdash@en; ru=Агдаш@ru", "az"),
    _p("baku", "AZ", "Baku", "az=Bakı@az; en=Baku@en; ru=Баку@ru", "az", "local"),
    _p("ordubad", "AZ", "Nakhchivan AR", "az=Ordubad@az; ru=Ордубад@ru", "az"),
    _p("gabala", "AZ", "Gabala District", "az=Qəbələ@az; en=Gabala@en; ru=Габала@ru", "az"),
    _p("fuzuli", "AZ", "Fuzuli District", "az=Füzuli@az; en=Fuzuli@en; ru=Физули@ru", "az"),
    _p("kalbajar", "AZ", "Kalbajar District", "az=Kəlbəcər@az; en=Kalbajar@en; ru=Кельбаджар@ru", "az"),
    _p("goygol", "AZ", "Goygol District", "az=Göygöl@az; en=Goygol@en; ru=Гёйгёль@ru"),
    _p("lahij", "AZ", "Ismayilli District", "az=Lahıc@az; en=Lahij@en; ru=Лагич@ru", "az"),
    _p("tovuz", "AZ", "Tovuz District", "az=Tovuz@az; ru=Товуз@ru", "az"),
    # Uzbekistan
    _p("tashkent", "UZ", "Tashkent", "uz=Toshkent@uz; en=Tashkent@en; ru=Ташкент@ru", "uz", "long"),
    _p("samarkand", "UZ", "Samarqand Region", "uz=Samarqand@uz; en=Samarkand@en; ru=Самарканд@ru", "uz"),
    _p("bukhara", "UZ", "Bukhara Region", "uz=Buxoro@uz; en=Bukhara@en; ru=Бухара@ru", "uz"),
    _p("khiva", "UZ", "Khorezm Region", "uz=Xiva@uz; en=Khiva@en; ru=Хива@ru", "uz", "long"),
    _p("kokand", "UZ", "Fergana Region", "uz=Qoʻqon@uz; en=Kokand@en; ru=Коканд@ru", "uz"),
    _p("fergana", "UZ", "Fergana Region", "uz=Fargʻona@uz; en=Fergana@en; ru=Фергана@ru", "uz"),
    _p("termez", "UZ", "Surxondaryo Region", "uz=Termiz@uz; en=Termez@en; ru=Термез@ru", "uz"),
    _p("karshi", "UZ", "Qashqadaryo Region", "uz=Qarshi@uz; en=Karshi@en; ru=Карши@ru", "uz"),
    # Turkey
    _p("kars", "TR", "Kars Province", "tr=Kars@tr", "tr", "long"),
    _p("urfa", "TR", "Şanlıurfa Province", "tr=Şanlıurfa@tr; en=Urfa@en"),
    _p("erzurum", "TR", "Erzurum Province", "tr=Erzurum@tr"),
    _p("konya", "TR", "Konya Province", "tr=Konya@tr"),
    _p("diyarbakir", "TR", "Diyarbakır Province", "tr=Diyarbakır@tr"),
    _p("van", "TR", "Van Province", "tr=Van@tr", "tr", "long"),
    _p("ani", "TR", "Kars Province", "tr=Ani@tr"),
    # Russia
    _p("derbent", "RU", "Republic of Dagestan", "ru=Дербент@ru; en=Derbent@en; az=Dərbənd@az", "ru", "long"),
    _p("kazan", "RU", "Republic of Tatarstan", "ru=Казань@ru; en=Kazan@en; tt=Казан@tt", "ru", "long"),
    _p("vologda", "RU", "Вологодская область", "ru=Вологда@ru; en=Vologda@en", "ru", "long"),
    _p("ufa", "RU", "Republic of Bashkortostan", "ru=Уфа@ru; en=Ufa@en", country_form="long"),
    _p("astrakhan", "RU", "Astrakhan Oblast", "ru=Астрахань@ru; en=Astrakhan@en; az=Həştərxan@az", "ru",
       "long"),
    _p("kizhi", "RU", "Republic of Karelia", "ru=Кижи@ru; en=Kizhi@en", country_form="long"),
    _p("samara", "RU", "Samara Oblast", "en=Samara@en; ru=Самара@ru", country_form="long"),
    # Iran
    _p("isfahan", "IR", "Isfahan Province",
       "en=Isfahan@en; fa=اصفهان@fa; fr=Ispahan@fr; en2=Esfahan@en", "en,fa", "long"),
    _p("tabriz", "IR", "East Azerbaijan Province", "az=Təbriz@az; fa=تبریز@fa; en=Tabriz@en", "az,fa", "long"),
    _p("mashhad", "IR", "Razavi Khorasan Province", "en=Mashhad@en; fa=مشهد@fa", "en", "long"),
    _p("shiraz", "IR", "Fars Province", "en=Shiraz@en; fa=شیراز@fa", country_form="long"),
    _p("yazd", "IR", "Yazd Province", "en=Yazd@en; fa=یزد@fa", country_form="long"),
    _p("kashan", "IR", "Isfahan Province", "en=Kashan@en; fa=کاشان@fa", country_form="long"),
    _p("qazvin", "IR", "Qazvin Province", "en=Qazvin@en; fa=قزوین@fa", "en", "long"),
    _p("kerman", "IR", "Kerman Province", "en=Kerman@en; fa=کرمان@fa", country_form="long"),
    _p("maragheh", "IR", "East Azerbaijan Province", "en=Maragheh@en; fa=مراغه@fa; az=Marağa@az", "en",
       "long"),
    # Georgia
    _p("tbilisi", "GE", "Tbilisi", "en=Tbilisi@en; ka=თბილისი@ka; ru=Тбилиси@ru"),
    _p("mtskheta", "GE", "Mtskheta-Mtianeti", "en=Mtskheta@en; ka=მცხეთა@ka", "en"),
    _p("gori", "GE", "Shida Kartli", "en=Gori@en; ka=გორი@ka"),
    _p("kutaisi", "GE", "Imereti", "en=Kutaisi@en; ka=ქუთაისი@ka", "en"),
    _p("sighnaghi", "GE", "Kakheti", "en=Sighnaghi@en; ka=სიღნაღი@ka", "en"),
    _p("telavi", "GE", "Kakheti", "en=Telavi@en; ka=თელავი@ka"),
    _p("vani", "GE", "Imereti", "en=Vani@en; ka=ვანი@ka"),
    # Armenia
    _p("yerevan", "AM", "Yerevan", "en=Yerevan@en; hy=Երևան@hy; ru=Ереван@ru", country_form="long"),
    _p("gyumri", "AM", "Shirak Province", "en=Gyumri@en; hy=Գյումրի@hy; ru=Гюмри@ru", "en", "long"),
    _p("goris", "AM", "Syunik Province", "en=Goris@en; hy=Գորիս@hy", country_form="long"),
    _p("dilijan", "AM", "Tavush Province", "en=Dilijan@en; hy=Դիլիջան@hy", country_form="long"),
    _p("sisian", "AM", "Syunik Province", "en=Sisian@en; hy=Սիսիան@hy", country_form="long"),
    _p("vanadzor", "AM", "Lori Province", "en=Vanadzor@en; hy=Վանաձոր@hy; ru=Ванадзор@ru", country_form="long"),
    # China
    _p("xian", "CN", "Shaanxi", "zh=西安@zh; en=Xi'an@en", "zh", "long"),
    _p("pingyao", "CN", "Shanxi", "zh=平遥@zh; en=Pingyao@en", country_form="long"),
    _p("suzhou", "CN", "Jiangsu", "zh=苏州@zh; en=Suzhou@en", country_form="long"),
    _p("fuzhou", "CN", "Fujian", "zh=福州@zh; en=Fuzhou@en", country_form="long"),
    _p("kashgar", "CN", "Xinjiang", "zh=喀什@zh; en=Kashgar@en", "zh", "long"),
    _p("beijing", "CN", "Beijing", "zh=北京@zh; en=Beijing@en", "zh", "long"),
    _p("quanzhou", "CN", "Fujian", "zh=泉州@zh; en=Quanzhou@en", "zh", "long"),
    _p("hangzhou", "CN", "Zhejiang", "zh=杭州@zh; en=Hangzhou@en", country_form="long"),
    # Japan
    _p("kyoto", "JP", "Kyoto Prefecture", "ja=京都@ja; en=Kyoto@en", "ja"),
    _p("nara", "JP", "Nara Prefecture", "ja=奈良@ja; en=Nara@en", country_form="long"),
    _p("nikko", "JP", "Tochigi Prefecture", "ja=日光@ja; en=Nikko@en", "ja"),
    _p("kanazawa", "JP", "Ishikawa Prefecture", "ja=金沢@ja; en=Kanazawa@en", "ja"),
    _p("hagi", "JP", "Yamaguchi Prefecture", "ja=萩@ja; en=Hagi@en", "ja"),
    # Arab countries
    _p("aleppo", "SY", "Aleppo Governorate", "en=Aleppo@en; ar=حلب@ar", country_form="long"),
    _p("damascus", "SY", "Damascus", "en=Damascus@en; ar=دمشق@ar", country_form="long"),
    _p("hama", "SY", "Hama Governorate", "en=Hama@en; ar=حماة@ar", country_form="long"),
    _p("mari", "SY", "Deir ez-Zor Governorate", "en=Mari@en; ar=ماري@ar", country_form="long"),
    _p("cairo", "EG", "Cairo Governorate", "en=Cairo@en; ar=القاهرة@ar", country_form="long"),
    _p("fes", "MA", "Fès-Meknès", "fr=Fès@fr; en=Fez@en; ar=فاس@ar", country_form="long"),
    _p("samarra", "IQ", "Saladin Governorate", "en=Samarra@en; ar=سامراء@ar", country_form="long"),
    # Central Asia, Baltic, France
    _p("mary", "TM", "Mary Region", "en=Mary@en; ru=Мары@ru"),
    _p("uzgen", "KG", "Osh Region", "ky=Өзгөн@ky; ru=Узген@ru", country_form="long"),
    _p("khujand", "TJ", "Sughd Region", "tg=Хуҷанд@tg; en=Khujand@en", country_form="long"),
    _p("narva", "EE", "Ida-Viru County", "ru=Нарва@ru; et=Narva@et", country_form="long"),
    _p("marseille", "FR", "Bouches-du-Rhône", "fr=Marseille@fr", "fr", "long"),
)}
