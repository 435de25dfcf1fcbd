"""A corpus of German administrative prose with editorial edits and exact ground truth.

Every edit works on a list of ``(character, original index)`` pairs: kept and
moved characters carry their index in the original text, new characters carry
``None``. So for every anchor on the original text we know where each of its
characters ended up, and can judge a relocation without trusting any diff.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from consult.domain.anchoring import Anchor, Located, make_anchor


def _section(*paragraphs: str) -> str:
    return "\n\n".join(paragraphs)


SECTIONS: tuple[str, ...] = (
    # 1 Integration: Ausgangslage
    _section(
        "Die Stadt versteht Integration als gemeinsame Aufgabe der gesamten "
        "Stadtgesellschaft. Sie richtet sich nicht nur an Zugewanderte, sondern an alle "
        "Menschen, die hier leben. Integration gelingt dort, wo Teilhabe am Arbeitsmarkt, an "
        "Bildung und am gesellschaftlichen Leben möglich ist.",
        "Im Jahr 2023 lebten in der Stadt rund 48.500 Menschen mit einer ausländischen "
        "Staatsangehörigkeit. Das entspricht einem Anteil von 17,4 Prozent an der "
        "Gesamtbevölkerung. Hinzu kommen etwa 21.000 Eingebürgerte und Spätaussiedlerinnen "
        "und Spätaussiedler. Die größten Gruppen stammen aus der Türkei, aus Syrien, aus der "
        "Ukraine und aus Rumänien.",
        "Seit dem Frühjahr 2022 hat die Stadt mehr als 3.200 Geflüchtete aus der Ukraine "
        "aufgenommen. Die Unterbringung erfolgte zunächst in Notunterkünften und Turnhallen. "
        "Inzwischen wohnen rund 80 Prozent der Geflüchteten in eigenen Wohnungen. Die "
        "Verwaltung dankt allen Ehrenamtlichen, die in dieser Zeit Unterstützung geleistet "
        "haben.",
        "Das bisherige Integrationskonzept aus dem Jahr 2014 wird mit diesem Papier "
        "fortgeschrieben. Die Fortschreibung beruht auf einer Bestandsaufnahme, auf "
        "Gesprächen mit Migrantenorganisationen und auf den Ergebnissen von vier öffentlichen"
        " Werkstätten. Die Stadt legt den Entwurf nun zur Stellungnahme vor.",
        "Integration ist kein Zustand, sondern ein Prozess. Er verlangt Offenheit auf beiden "
        "Seiten und verlässliche Strukturen. Die Umsetzung erfolgt im Rahmen der verfügbaren "
        "Haushaltsmittel.",
    ),
    # 2 Integration: Leitlinien
    _section(
        "Leitlinie 1: Die Stadt fördert die Teilhabe aller Menschen unabhängig von Herkunft, "
        "Sprache und Religion. Sie wendet sich gegen jede Form von Diskriminierung und "
        "Rassismus.",
        "Leitlinie 2: Sprache ist ein Schlüssel zur Teilhabe. Die Stadt unterstützt den "
        "Erwerb der deutschen Sprache von Anfang an und würdigt zugleich die Mehrsprachigkeit"
        " der Familien. Sprachkurse sollen wohnortnah, bezahlbar und mit Kinderbetreuung "
        "angeboten werden.",
        "Leitlinie 3: Die interkulturelle Öffnung der Verwaltung wird fortgesetzt. Die "
        "Beschäftigten der Stadt sollen die Vielfalt der Bevölkerung widerspiegeln. Bis zum "
        "Jahr 2030 soll der Anteil der Beschäftigten mit Migrationsgeschichte auf 25 Prozent "
        "steigen.",
        "Leitlinie 4: Migrantenorganisationen sind Partner der Stadt. Sie werden an der "
        "Planung und Umsetzung von Maßnahmen beteiligt und erhalten dafür eine angemessene "
        "Förderung. Der Integrationsrat wird frühzeitig in alle Vorhaben einbezogen, die "
        "seine Aufgaben berühren.",
        "Leitlinie 5: Die Stadt misst den Erfolg ihrer Integrationspolitik. Ein jährlicher "
        "Bericht stellt die wichtigsten Kennzahlen dar und zeigt, wo nachgesteuert werden "
        "muss. Der Bericht wird im Ausschuss für Integration und Vielfalt beraten und "
        "veröffentlicht.",
    ),
    # 3 Bildung: Frühe Bildung
    _section(
        "Frühe Bildung legt den Grundstein für den weiteren Bildungsweg. Kinder, die eine "
        "Kindertageseinrichtung besuchen, haben beim Schuleintritt deutlich bessere "
        "Sprachkenntnisse. Dennoch besuchen Kinder aus zugewanderten Familien seltener und "
        "später eine Kita als andere Kinder.",
        "Die Stadt will die Betreuungsquote der unter Dreijährigen bis zum Jahr 2027 auf 45 "
        "Prozent erhöhen. Dafür werden in den kommenden drei Jahren rund 600 zusätzliche "
        "Plätze geschaffen. Der Ausbau konzentriert sich auf Stadtteile, in denen die "
        "Versorgung bisher unterdurchschnittlich ist.",
        "Das Programm „Kita-Einstieg“ hilft Familien, die bisher keinen Zugang zur "
        "Kindertagesbetreuung gefunden haben. Elternbegleiterinnen und Elternbegleiter "
        "informieren in mehreren Sprachen über das Anmeldeverfahren. Sie begleiten die "
        "Familien auf Wunsch zu den ersten Terminen in der Einrichtung.",
        "Die alltagsintegrierte Sprachbildung ist Aufgabe aller Fachkräfte in den Kitas. Die "
        "Stadt bietet dafür regelmäßige Fortbildungen an und finanziert in 40 Einrichtungen "
        "zusätzliche Sprachfachkräfte. Die Zusammenarbeit mit den Eltern wird dabei "
        "ausdrücklich einbezogen.",
        "Der Übergang von der Kita in die Grundschule soll besser begleitet werden. Kitas und"
        " Grundschulen schließen dazu verbindliche Kooperationsvereinbarungen. Die Umsetzung "
        "erfolgt im Rahmen der verfügbaren Haushaltsmittel.",
    ),
    # 4 Bildung: Schule und Ausbildung
    _section(
        "Der Schulerfolg hängt in Deutschland noch immer stark von der Herkunft der Eltern "
        "ab. Jugendliche mit ausländischer Staatsangehörigkeit verlassen die Schule doppelt "
        "so häufig ohne Abschluss wie Jugendliche mit deutscher Staatsangehörigkeit. Die "
        "Stadt will diese Lücke gemeinsam mit dem Land schließen.",
        "Neu zugewanderte Kinder und Jugendliche werden zunächst in Vorbereitungsklassen "
        "unterrichtet. Ziel ist der Wechsel in eine Regelklasse nach spätestens zwei Jahren. "
        "Die Stadt stellt für die Vorbereitungsklassen Räume, Lernmittel und "
        "Schulsozialarbeit bereit.",
        "Die Schulsozialarbeit wird an allen weiterführenden Schulen ausgebaut. An Schulen "
        "mit besonderen Herausforderungen soll je 150 Schülerinnen und Schüler eine volle "
        "Stelle zur Verfügung stehen. Die Finanzierung teilen sich Stadt und Land nach dem "
        "bisherigen Schlüssel.",
        "Beim Übergang von der Schule in den Beruf brauchen viele junge Menschen "
        "Unterstützung. Die Jugendberufsagentur bündelt die Angebote der Agentur für Arbeit, "
        "des Jobcenters und der Jugendhilfe unter einem Dach. Junge Geflüchtete erhalten dort"
        " eine feste Ansprechperson, die sie bis zum Abschluss einer Ausbildung begleitet.",
        "Die Stadt wirbt bei Betrieben dafür, junge Zugewanderte auszubilden. Sie informiert "
        "über die Ausbildungsduldung nach § 60c des Aufenthaltsgesetzes und über "
        "Förderprogramme der Agentur für Arbeit. Die Umsetzung erfolgt im Rahmen der "
        "verfügbaren Haushaltsmittel.",
    ),
    # 5 Arbeitsmarkt: Zugang
    _section(
        "Arbeit ist für die meisten Menschen der wichtigste Weg zu Teilhabe und "
        "Unabhängigkeit. Zugewanderte sind jedoch häufiger arbeitslos und häufiger unter "
        "ihrer Qualifikation beschäftigt. Die Arbeitslosenquote von Ausländerinnen und "
        "Ausländern lag im Jahr 2023 bei 13,9 Prozent.",
        "Viele Zugewanderte bringen Berufsabschlüsse mit, die in Deutschland nicht ohne "
        "Weiteres anerkannt werden. Das Anerkennungsverfahren ist oft langwierig und für die "
        "Betroffenen schwer zu durchschauen. Die Stadt richtet deshalb eine zentrale "
        "Anerkennungsberatung im Bürgerbüro ein.",
        "Die Anerkennungsberatung informiert über das Verfahren, hilft bei der "
        "Zusammenstellung der Unterlagen und vermittelt in Anpassungsqualifizierungen. Sie "
        "arbeitet eng mit der Industrie- und Handelskammer, der Handwerkskammer und den "
        "zuständigen Landesbehörden zusammen. Die Beratung ist kostenlos und wird in mehreren"
        " Sprachen angeboten.",
        "Berufsbezogene Sprachkurse werden mit Praktika in Betrieben verbunden. So lernen die"
        " Teilnehmenden die Fachsprache dort, wo sie gebraucht wird. Betriebe, die "
        "Praktikumsplätze anbieten, erhalten eine Begleitung durch das Jobcenter.",
        "Besonders Frauen mit Fluchtgeschichte sind bisher selten erwerbstätig. Häufig fehlt "
        "eine verlässliche Kinderbetreuung während der Kurse. Die Stadt unterstützt deshalb "
        "Kurse mit paralleler Kinderbetreuung und Teilzeitangebote für Mütter.",
    ),
    # 6 Arbeitsmarkt: Fachkräfte und Selbstständigkeit
    _section(
        "Der Fachkräftemangel betrifft inzwischen fast alle Branchen der regionalen "
        "Wirtschaft. Besonders groß ist der Bedarf in der Pflege, im Handwerk, in der "
        "Logistik und in der Kinderbetreuung. Zugewanderte Fachkräfte können einen wichtigen "
        "Beitrag leisten, diesen Bedarf zu decken.",
        "Die Ausländerbehörde wird zu einer Servicestelle für Fachkräfte weiterentwickelt. "
        "Anträge sollen künftig digital gestellt werden können. Die durchschnittliche "
        "Bearbeitungszeit für einen Aufenthaltstitel zur Beschäftigung soll auf sechs Wochen "
        "sinken.",
        "Ein Willkommensservice unterstützt neu ankommende Fachkräfte und ihre Familien. Er "
        "hilft bei der Wohnungssuche, bei der Anmeldung in Kita und Schule und bei "
        "Behördengängen. Arbeitgeber können den Service für ihre neuen Beschäftigten "
        "kostenlos in Anspruch nehmen.",
        "Viele Zugewanderte gründen ein eigenes Unternehmen. Die Wirtschaftsförderung bietet "
        "Gründungsberatung in mehreren Sprachen an und vermittelt Kontakte zu Banken und "
        "Kammern. Migrantische Unternehmerinnen und Unternehmer werden als "
        "Ausbildungsbetriebe gezielt angesprochen.",
        "Die Stadt geht als Arbeitgeberin mit gutem Beispiel voran. Sie prüft ihre "
        "Stellenausschreibungen auf unnötige Hürden und erkennt ausländische Abschlüsse im "
        "Rahmen des Tarifrechts an. Die Umsetzung erfolgt im Rahmen der verfügbaren "
        "Haushaltsmittel.",
    ),
    # 7 Gesundheit: Zugang zur Versorgung
    _section(
        "Gesundheit ist eine Voraussetzung für Teilhabe an Bildung, Arbeit und "
        "gesellschaftlichem Leben. Zugewanderte nehmen Angebote der Vorsorge und "
        "Früherkennung jedoch seltener wahr als der Durchschnitt der Bevölkerung. Sprachliche"
        " Hürden, fehlende Informationen und Unsicherheit über den Versicherungsschutz "
        "spielen dabei eine große Rolle.",
        "Das Gesundheitsamt baut ein Netz von Gesundheitslotsinnen und Gesundheitslotsen auf."
        " Sie werden geschult, um in ihren Gemeinschaften über das Gesundheitssystem zu "
        "informieren. Im ersten Jahr sollen 30 Lotsinnen und Lotsen in zwölf Sprachen "
        "ausgebildet werden.",
        "Für Arztbesuche und Behandlungen im Krankenhaus ist eine verlässliche Sprachmittlung"
        " nötig. Die Stadt richtet einen Pool von qualifizierten Sprachmittlerinnen und "
        "Sprachmittlern ein, der auch per Video erreichbar ist. Die Kosten für Termine im "
        "Gesundheitsamt übernimmt die Stadt.",
        "Menschen ohne Krankenversicherung erhalten in der Clearingstelle Beratung und, wenn "
        "nötig, eine vorläufige Behandlung. Die Clearingstelle klärt, ob ein Anspruch auf "
        "Versicherungsschutz besteht, und hilft bei der Durchsetzung. Sie arbeitet mit den "
        "Krankenhäusern der Stadt und mit niedergelassenen Ärztinnen und Ärzten zusammen.",
        "Die Impfquoten bei Kindern aus zugewanderten Familien sind niedriger als im "
        "Durchschnitt. Das Gesundheitsamt bietet deshalb Impfsprechstunden in "
        "Gemeinschaftsunterkünften und Familienzentren an. Die Umsetzung erfolgt im Rahmen "
        "der verfügbaren Haushaltsmittel.",
    ),
    # 8 Gesundheit: Psychische Gesundheit und Pflege
    _section(
        "Viele Geflüchtete haben vor und während der Flucht schwere Belastungen erlebt. Ein "
        "Teil von ihnen leidet an Traumafolgestörungen, Depressionen oder Angststörungen. Die"
        " Versorgung mit Psychotherapie ist jedoch schon für die übrige Bevölkerung knapp.",
        "Das psychosoziale Zentrum für Geflüchtete wird dauerhaft gefördert. Es bietet "
        "Beratung, Stabilisierungsgruppen und, wo möglich, Psychotherapie mit Sprachmittlung "
        "an. Die Wartezeit auf ein Erstgespräch soll vier Wochen nicht überschreiten.",
        "Fachkräfte in Schulen, Kitas und Unterkünften sollen Anzeichen einer Belastung früh "
        "erkennen. Das Gesundheitsamt bietet dafür Schulungen an, die auch für Ehrenamtliche "
        "offen sind. Die Schulungen vermitteln, wann und wohin Betroffene weitervermittelt "
        "werden sollten.",
        "Mit dem Älterwerden der ersten Generation der Arbeitsmigrantinnen und "
        "Arbeitsmigranten wächst der Bedarf an kultursensibler Pflege. Pflegedienste und "
        "Pflegeheime sollen sich stärker auf die Bedürfnisse älterer Zugewanderter "
        "einstellen. Die Stadt fördert dazu Schulungen und mehrsprachiges "
        "Informationsmaterial.",
        "Pflegende Angehörige aus zugewanderten Familien kennen die Leistungen der "
        "Pflegeversicherung oft nicht. Der Pflegestützpunkt berät deshalb künftig auch in "
        "Türkisch, Russisch und Arabisch. Die Umsetzung erfolgt im Rahmen der verfügbaren "
        "Haushaltsmittel.",
    ),
    # 9 Wohnen und Zusammenleben
    _section(
        "Bezahlbarer Wohnraum ist in der Stadt knapp. Zugewanderte Familien berichten häufig "
        "von Benachteiligung bei der Wohnungssuche. Die Stadt richtet deshalb eine "
        "Anlaufstelle gegen Diskriminierung auf dem Wohnungsmarkt ein.",
        "Die städtische Wohnungsgesellschaft vergibt ihre Wohnungen nach transparenten "
        "Kriterien. Sie achtet auf eine ausgewogene Belegung der Quartiere und vermeidet eine"
        " Konzentration von Haushalten mit geringem Einkommen. Geflüchtete, die noch in "
        "Gemeinschaftsunterkünften leben, werden bei der Vergabe angemessen berücksichtigt.",
        "Das Quartiersmanagement stärkt den Zusammenhalt in den Stadtteilen. "
        "Nachbarschaftsfeste, Sprachcafés und gemeinsame Projekte bringen Menschen "
        "unterschiedlicher Herkunft zusammen. Die Stadt unterstützt solche Initiativen mit "
        "einem Verfügungsfonds von 50.000 Euro im Jahr.",
        "Konflikte im Zusammenleben sollen früh und fair gelöst werden. Dafür stehen "
        "ausgebildete Konfliktlotsinnen und Konfliktlotsen zur Verfügung, die bei Streit in "
        "der Nachbarschaft vermitteln. Das Angebot ist freiwillig, vertraulich und kostenlos.",
        "Die Stadt lädt alle Bürgerinnen und Bürger ein, sich zu diesem Entwurf zu äußern. "
        "Stellungnahmen können bis zum 30. Juni über die Beteiligungsplattform abgegeben "
        "werden. Die Umsetzung erfolgt im Rahmen der verfügbaren Haushaltsmittel.",
    ),
    # 10 Umsetzung und Monitoring
    _section(
        "Die Verantwortung für die Umsetzung dieses Konzepts liegt bei den jeweils "
        "zuständigen Fachbereichen. Die Stabsstelle Integration koordiniert die Umsetzung und"
        " berichtet dem Rat einmal im Jahr. Sie ist zugleich Ansprechpartnerin für "
        "Migrantenorganisationen und Initiativen.",
        "Für jedes Handlungsfeld werden messbare Ziele und Kennzahlen festgelegt. Dazu "
        "gehören unter anderem die Betreuungsquote in Kitas, der Anteil der Schulabschlüsse, "
        "die Beschäftigungsquote und die Wartezeit in der Ausländerbehörde. Die Daten werden,"
        " soweit möglich, nach Stadtteilen und nach Geschlecht ausgewertet.",
        "Der Integrationsbericht erscheint erstmals im Herbst 2025. Er wird im "
        "Integrationsrat und im Ausschuss für Integration und Vielfalt beraten. Auf seiner "
        "Grundlage entscheidet der Rat, ob Maßnahmen angepasst oder neue Schwerpunkte gesetzt"
        " werden.",
        "Alle Maßnahmen stehen unter dem Vorbehalt der Haushaltsberatungen. Maßnahmen, die "
        "zusätzliche Mittel erfordern, werden dem Rat gesondert zur Entscheidung vorgelegt. "
        "Die Umsetzung erfolgt im Rahmen der verfügbaren Haushaltsmittel.",
        "Das Konzept wird nach fünf Jahren umfassend überprüft. Die Stadt wird dafür erneut "
        "eine öffentliche Beteiligung durchführen. Sie bittet schon heute um Hinweise, wie "
        "das Verfahren verbessert werden kann.",
    ),
)

#: New sentences an editor might add.
NEW_SENTENCES: tuple[str, ...] = (
    "Die Maßnahme wird nach zwei Jahren evaluiert.",
    "Hierfür sind im Haushalt 2025 zusätzliche Mittel vorgesehen.",
    "Der Integrationsrat hat diesen Vorschlag ausdrücklich begrüßt.",
    "Die Angebote sollen barrierefrei zugänglich sein.",
    "Dabei wird die Perspektive von Frauen besonders berücksichtigt.",
    "Ein entsprechender Beschluss des Rates liegt bereits vor.",
    "Die Stadt prüft, ob das Angebot auf weitere Stadtteile ausgeweitet werden kann.",
    "Die Erfahrungen aus dem Modellprojekt „Gemeinsam ankommen“ werden genutzt.",
    "Das Land beteiligt sich an den Kosten mit 50 Prozent.",
    "Die Zahl der Beratungen hat sich seit 2021 nahezu verdoppelt.",
    "Die Ergebnisse fließen in den jährlichen Integrationsbericht ein.",
    "Hierzu wird eine Arbeitsgruppe mit Vertreterinnen und Vertretern der Träger gebildet.",
    "Diese Forderung wurde in den Werkstätten mehrfach erhoben.",
    "Ehrenamtliche Initiativen werden in die Planung einbezogen.",
    "Die Stadt wird sich beim Land für eine dauerhafte Finanzierung einsetzen.",
    "Die Umsetzung erfolgt im Rahmen der verfügbaren Haushaltsmittel.",
)

#: New paragraphs an editor might add.
NEW_PARAGRAPHS: tuple[str, ...] = (
    "Die Digitalisierung eröffnet neue Möglichkeiten der Information und Beratung. "
    "Die Stadt stellt ihre wichtigsten Informationen künftig in einfacher Sprache und in "
    "den häufigsten Herkunftssprachen online bereit.",
    "Im Beteiligungsverfahren wurde mehrfach angeregt, die Öffnungszeiten der Beratungsstellen "
    "zu erweitern. Die Verwaltung prüft, wie Abendtermine und Termine am Samstag angeboten "
    "werden können.",
    "Besondere Aufmerksamkeit gilt Menschen mit Behinderungen, die zugewandert sind. "
    "Für sie fehlen bisher passende Informationen und Beratungsangebote.",
    "Die Zusammenarbeit mit den Nachbarkommunen wird ausgebaut. Gemeinsame Angebote sollen "
    "vor allem im ländlichen Raum die Wege verkürzen.",
)

#: Words an editor might replace, with replacements (never identical).
REPLACEMENTS: dict[str, tuple[str, ...]] = {
    "Stadt": ("Kommune", "Stadtverwaltung"),
    "Zugewanderte": ("Eingewanderte", "Menschen mit Migrationsgeschichte"),
    "Zugewanderten": ("Eingewanderten",),
    "Integration": ("Teilhabe", "Inklusion"),
    "Teilhabe": ("Beteiligung", "Partizipation"),
    "Geflüchtete": ("Schutzsuchende", "geflüchtete Menschen"),
    "Geflüchteten": ("Schutzsuchenden",),
    "Maßnahmen": ("Angebote", "Vorhaben"),
    "fördert": ("unterstützt", "stärkt"),
    "unterstützt": ("fördert", "begleitet"),
    "wichtigsten": ("zentralen", "entscheidenden"),
    "häufig": ("oft", "vielfach"),
    "häufiger": ("öfter",),
    "deutlich": ("erheblich", "spürbar"),
    "künftig": ("zukünftig", "in Zukunft"),
    "soll": ("wird", "muss"),
    "sollen": ("werden", "müssen"),
    "Prozent": ("%",),
    "rund": ("etwa", "ungefähr"),
    "Jahr": ("Kalenderjahr",),
    "mehreren": ("vielen", "verschiedenen"),
    "bietet": ("stellt", "macht"),
    "Verwaltung": ("Stadtverwaltung",),
    "Beratung": ("Unterstützung", "Begleitung"),
    "Angebote": ("Leistungen", "Hilfen"),
    "Kinder": ("Mädchen und Jungen",),
    "Familien": ("Haushalte",),
    "jedoch": ("aber", "allerdings"),
    "deshalb": ("daher", "darum"),
    "Schulungen": ("Fortbildungen", "Qualifizierungen"),
}

#: Words an editor might insert before a noun or verb.
INSERTABLE_WORDS: tuple[str, ...] = (
    "ausdrücklich",
    "weiterhin",
    "verstärkt",
    "insbesondere",
    "gezielt",
    "nachhaltig",
    "zeitnah",
    "künftig",
)

Char = tuple[str, int | None]


def _text(doc: list[Char]) -> str:
    return "".join(c for c, _ in doc)


def _new(text: str) -> list[Char]:
    return [(c, None) for c in text]


_SENTENCE = re.compile(r"[^\s].*?[.!?]+(?=\s|$)", re.DOTALL)
_WORD = re.compile(r"\w+")


def _sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans (no paragraph break inside)."""
    spans = []
    for para_start, para in _paragraph_spans(text):
        for m in _SENTENCE.finditer(text[para_start:para]):
            spans.append((para_start + m.start(), para_start + m.end()))
    return spans


def _paragraph_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    at = 0
    for part in text.split("\n\n"):
        spans.append((at, at + len(part)))
        at += len(part) + 2
    return spans


# --- edits -------------------------------------------------------------------------


def _insert_sentence(doc: list[Char], rng: random.Random) -> list[Char]:
    spans = _sentences(_text(doc))
    _, end = rng.choice(spans)
    return doc[:end] + _new(" " + rng.choice(NEW_SENTENCES)) + doc[end:]


def _sentence_with_space(text: str, rng: random.Random) -> tuple[int, int] | None:
    """A sentence span that includes one separating space, if the paragraph keeps a sentence."""
    spans = _sentences(text)
    rng.shuffle(spans)
    for start, end in spans:
        if start > 0 and text[start - 1] == " ":
            return start - 1, end
        if end < len(text) and text[end] == " ":
            return start, end + 1
    return None


def _delete_sentence(doc: list[Char], rng: random.Random) -> list[Char]:
    span = _sentence_with_space(_text(doc), rng)
    if span is None:
        return doc
    return doc[: span[0]] + doc[span[1] :]


def _move_sentence(doc: list[Char], rng: random.Random) -> list[Char]:
    text = _text(doc)
    span = _sentence_with_space(text, rng)
    if span is None:
        return doc
    start, end = span
    moved = doc[start:end]
    if moved[0][0] != " ":  # keep exactly one space in front of the moved sentence
        moved = moved[-1:] + moved[:-1]
    rest = doc[:start] + doc[end:]
    targets = [e for _, e in _sentences(_text(rest)) if e != start]
    if not targets:
        return doc
    at = rng.choice(targets)
    return rest[:at] + moved + rest[at:]


def _words(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _WORD.finditer(text)]


def _replace_word(doc: list[Char], rng: random.Random) -> list[Char]:
    text = _text(doc)
    spans = [(s, e) for s, e in _words(text) if text[s:e] in REPLACEMENTS]
    if not spans:
        return doc
    s, e = rng.choice(spans)
    return doc[:s] + _new(rng.choice(REPLACEMENTS[text[s:e]])) + doc[e:]


def _rewrite_sentence(doc: list[Char], rng: random.Random) -> list[Char]:
    """Two or three word-level changes inside one sentence."""
    text = _text(doc)
    s0, e0 = rng.choice(_sentences(text))
    for _ in range(rng.randint(2, 3)):
        text = _text(doc)
        words = [(s, e) for s, e in _words(text) if s0 <= s and e <= e0]
        if len(words) < 3:
            break
        choice = rng.random()
        s, e = rng.choice(words[1:])
        if choice < 0.4 and text[s:e] in REPLACEMENTS:
            new = rng.choice(REPLACEMENTS[text[s:e]])
            doc = doc[:s] + _new(new) + doc[e:]
            e0 += len(new) - (e - s)
        elif choice < 0.7:
            new = rng.choice(INSERTABLE_WORDS) + " "
            doc = doc[:s] + _new(new) + doc[s:]
            e0 += len(new)
        elif text[e : e + 1] == " ":
            doc = doc[:s] + doc[e + 1 :]
            e0 -= e + 1 - s
    return doc


def _swap_words(doc: list[Char], rng: random.Random) -> list[Char]:
    text = _text(doc)
    words = _words(text)
    pairs = [
        (a, b)
        for a, b in itertools.pairwise(words)
        if text[a[1] : b[0]] == " " and text[a[0] : a[1]] != text[b[0] : b[1]]
    ]
    if not pairs:
        return doc
    (s1, e1), (s2, e2) = rng.choice(pairs)
    return doc[:s1] + doc[s2:e2] + doc[e1:s2] + doc[s1:e1] + doc[e2:]


def _fix_spelling(doc: list[Char], rng: random.Random) -> list[Char]:
    """Change one letter inside a longer word (a typo fix)."""
    text = _text(doc)
    words = [(s, e) for s, e in _words(text) if e - s >= 6]
    s, e = rng.choice(words)
    at = rng.randrange(s + 1, e - 1)
    old = text[at]
    new = "e" if old != "e" else "a"
    return doc[:at] + _new(new) + doc[at + 1 :]


def _insert_paragraph(doc: list[Char], rng: random.Random) -> list[Char]:
    spans = _paragraph_spans(_text(doc))
    _, end = rng.choice(spans)
    return doc[:end] + _new("\n\n" + rng.choice(NEW_PARAGRAPHS)) + doc[end:]


def _delete_paragraph(doc: list[Char], rng: random.Random) -> list[Char]:
    spans = _paragraph_spans(_text(doc))
    if len(spans) < 3:
        return doc
    i = rng.randrange(1, len(spans))
    start, end = spans[i]
    return doc[: start - 2] + doc[end:]


def _move_paragraph(doc: list[Char], rng: random.Random) -> list[Char]:
    spans = _paragraph_spans(_text(doc))
    if len(spans) < 3:
        return doc
    i = rng.randrange(1, len(spans))
    start, end = spans[i]
    moved = doc[start - 2 : end]  # with the blank line before it
    rest = doc[: start - 2] + doc[end:]
    targets = [e for _, e in _paragraph_spans(_text(rest)) if e != start - 2]
    if not targets:
        return doc
    at = rng.choice(targets)
    return rest[:at] + moved + rest[at:]


def _merge_paragraphs(doc: list[Char], rng: random.Random) -> list[Char]:
    spans = _paragraph_spans(_text(doc))
    if len(spans) < 3:
        return doc
    _, end = spans[rng.randrange(len(spans) - 1)]
    return doc[:end] + _new(" ") + doc[end + 2 :]


Edit = Callable[[list[Char], random.Random], list[Char]]

#: Editorial edits with their weights.
EDITS: tuple[tuple[Edit, int], ...] = (
    (_insert_sentence, 14),
    (_delete_sentence, 10),
    (_move_sentence, 8),
    (_rewrite_sentence, 16),
    (_replace_word, 16),
    (_swap_words, 6),
    (_fix_spelling, 8),
    (_insert_paragraph, 6),
    (_delete_paragraph, 4),
    (_move_paragraph, 6),
    (_merge_paragraphs, 3),
)


def apply_random_edits(text: str, rng: random.Random, count: int) -> list[Char]:
    """Apply ``count`` weighted random edits to ``text``; return the tracked characters."""
    doc: list[Char] = [(c, i) for i, c in enumerate(text)]
    edits = [edit for edit, _ in EDITS]
    weights = [weight for _, weight in EDITS]
    for _ in range(count):
        (edit,) = rng.choices(edits, weights)
        doc = edit(doc, rng)
    return doc


# --- anchors -------------------------------------------------------------------------


def random_anchor(text: str, rng: random.Random) -> Anchor:
    """An anchor of the kinds readers make: words, phrases, sentences, paragraphs, points."""
    words = _words(text)
    kind = rng.random()
    if kind < 0.25:  # one word
        s, e = rng.choice(words)
    elif kind < 0.55:  # a phrase of two to six words
        i = rng.randrange(len(words) - 6)
        s, e = words[i][0], words[i + rng.randint(1, 5)][1]
    elif kind < 0.75:  # a sentence
        s, e = rng.choice(_sentences(text))
    elif kind < 0.85:  # two or three sentences
        spans = _sentences(text)
        i = rng.randrange(len(spans) - 2)
        s, e = spans[i][0], spans[i + rng.randint(1, 2)][1]
    elif kind < 0.90:  # a paragraph
        s, e = rng.choice(_paragraph_spans(text))
    elif kind < 0.95:  # a very short quote: part of a word
        s, e = rng.choice([w for w in words if w[1] - w[0] >= 4])
        s = rng.randrange(s, e - 2)
        e = s + rng.randint(1, 3)
    else:  # an insertion point at a word boundary
        s = e = rng.choice([w[1] for w in words])
    return make_anchor(text, s, e)


# --- ground truth --------------------------------------------------------------------


@dataclass
class Case:
    """One original text, one edited version, and anchors made on the original."""

    old: str
    new: str
    origin: list[int | None]
    anchors: list[Anchor]
    position: dict[int, int] = field(init=False)

    def __post_init__(self) -> None:
        self.position = {o: i for i, o in enumerate(self.origin) if o is not None}


def make_case(text: str, rng: random.Random, edits: int, anchors: int) -> Case:
    """Edit ``text`` randomly and place ``anchors`` random anchors on the original."""
    doc = apply_random_edits(text, rng, edits)
    return Case(
        old=text,
        new=_text(doc),
        origin=[o for _, o in doc],
        anchors=[random_anchor(text, rng) for _ in range(anchors)],
    )


def build_cases(seed: int = 20240611, rounds: int = 6, anchors_per_case: int = 16) -> list[Case]:
    """Every section edited ``rounds`` times with 1 to 8 edits each."""
    rng = random.Random(seed)
    return [
        make_case(text, rng, edits=rng.randint(1, 8), anchors=anchors_per_case)
        for _ in range(rounds)
        for text in SECTIONS
    ]


RIGHT = "right"
WRONG = "wrong"
LOST = "lost"
ORPHANED_OK = "orphaned correctly"


def _intact_at(case: Case, anchor: Anchor) -> int | None:
    """New start of the anchor's own characters if all survive, in order and contiguous."""
    if anchor.start == anchor.end:
        return _point_at(case, anchor.start)
    first = case.position.get(anchor.start)
    if first is None:
        return None
    for k in range(anchor.start, anchor.end):
        if case.position.get(k) != first + (k - anchor.start):
            return None
    return first


def _point_at(case: Case, point: int) -> int | None:
    """New offset of an insertion point whose neighbours both survive next to each other."""
    before = case.position.get(point - 1) if point > 0 else None
    after = case.position.get(point) if point < len(case.old) else None
    if point > 0 and before is None:
        return None
    if point < len(case.old) and after is None:
        return None
    if before is not None and after is not None:
        return after if after == before + 1 else None
    if after is not None:
        return after if after == 0 else None
    if before is not None:
        return before + 1 if before + 1 == len(case.new) else None
    return 0


def _successor_region(case: Case, anchor: Anchor) -> tuple[int, int] | None:
    """Where the anchor's characters, or the new text that replaced them, now stand."""
    survivors = [case.position[k] for k in range(anchor.start, anchor.end) if k in case.position]
    if survivors:
        return min(survivors), max(survivors) + 1
    # Nothing survived: the new characters right after the last survivor before it.
    k = anchor.start - 1
    while k >= 0 and k not in case.position:
        k -= 1
    at = case.position[k] + 1 if k >= 0 else 0
    end = at
    while end < len(case.origin) and case.origin[end] is None:
        end += 1
    return (at, end) if end > at else None


def _same_characters(case: Case, anchor: Anchor, start: int) -> bool:
    """Whether the range at ``start`` (whose text equals the quote) is the anchor's own text.

    Characters that differ from the anchor's own may only form runs at the edges:
    a sentence inserted after a deleted one that begins with the same words ("Die
    Stadt ...") gives the same new text as keeping those words, so no comparison of
    texts can tell the two histories apart.
    """
    own = [case.origin[start + i] == anchor.start + i for i in range(anchor.end - anchor.start)]
    if not any(own):
        return False
    first = own.index(True)
    last = len(own) - 1 - own[::-1].index(True)
    return all(own[first : last + 1])


def _point_right(case: Case, point: int, at: int, *, exact: bool) -> bool:
    """Judge an insertion point placed at ``at``.

    Exact or moved: right between its two neighbouring characters, which must still
    stand side by side. Fuzzy: anywhere from the nearest surviving character before
    the point to the nearest one after it.
    """
    if exact:
        return _point_at(case, point) == at
    k = point - 1
    while k >= 0 and k not in case.position:
        k -= 1
    left = case.position[k] if k >= 0 else -1
    k = point
    while k < len(case.old) and k not in case.position:
        k += 1
    right = case.position[k] if k < len(case.old) else len(case.new)
    if left < right:
        return left <= at <= right
    return at in (left + 1, right)


def classify(case: Case, anchor: Anchor, located: Located) -> str:
    """Judge a relocation against the ground truth (see the module docstring).

    right: exact or moved onto the anchor's own characters (see
    :func:`_same_characters`), or fuzzy overlapping what became of them; wrong:
    placed anywhere else; lost: orphaned although the quote survives intact;
    orphaned correctly: orphaned and the quote did not survive intact.
    """
    intact = _intact_at(case, anchor)
    if located.state == "orphaned":
        return LOST if intact is not None else ORPHANED_OK
    assert located.start is not None and located.end is not None
    if anchor.start == anchor.end:
        exact = located.state in ("exact", "moved")
        ok = located.start == located.end and _point_right(
            case, anchor.start, located.start, exact=exact
        )
        return RIGHT if ok else WRONG
    if located.state in ("exact", "moved"):
        ok = case.new[located.start : located.end] == anchor.quote
        ok = ok and _same_characters(case, anchor, located.start)
        return RIGHT if ok else WRONG
    region = _successor_region(case, anchor)
    if region is None:
        return WRONG
    overlaps = located.start < region[1] and region[0] < located.end
    return RIGHT if overlaps else WRONG
