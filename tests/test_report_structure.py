"""The report's structure is in the graph item for item, counted against the report text.

Each test parses one structural element from the report text (the table of
contents, the figures, the tables, the boxes, the annexes, the abstract and
executive summary, the numbered lists and the questionnaires of Annex 2) and
compares what it finds with what the graph holds. Counts come from the text,
never from a constant, so a change of either side fails here.
"""

from __future__ import annotations

import re

import pyoxigraph as ox
import pytest

from support.report import normalise_report_text

PREFIXES = """PREFIX iop: <https://w3id.org/iopgraph/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX bibo: <http://purl.org/ontology/bibo/>
"""
SECTION = "https://w3id.org/iopgraph/id/report/d06-02/section/"


def select(store: ox.Store, query: str) -> list[dict[str, str]]:
    result = store.query(PREFIXES + query, use_default_graph_as_union=True)
    assert isinstance(result, ox.QuerySolutions)
    names = [v.value for v in result.variables]
    return [{n: s[n].value for n in names if s[n] is not None} for s in result]


def _fold(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", normalise_report_text(text).lower()).strip()


# ---------------------------------------------------------------------------
# Table of contents
# ---------------------------------------------------------------------------


def toc_entries(report_text: str) -> list[tuple[str, int]]:
    """(title, page) of each line of the table of contents: ``<b>TITLE .....</b>\t<b>N</b>``."""
    block = report_text.split("# Table of Contents", 1)[1].split("\n# ", 1)[0]
    entries = []
    for line in block.splitlines():
        if m := re.match(r"^<b>(.+?)\s*\.{3,}\s*</b>\s*<b>(\d+)</b>", line.strip()):
            title = re.sub(r"^\d+\s+", "", m[1]).strip()
            entries.append((title, int(m[2])))
    return entries


def test_every_table_of_contents_entry_is_a_top_level_section_with_its_page(
    shipped_store: ox.Store, report_text: str
) -> None:
    entries = toc_entries(report_text)
    assert len(entries) >= 10
    rows = select(
        shipped_store,
        """SELECT ?s ?title ?page WHERE {
        ?s a iop:ReportSection ; dcterms:isPartOf <https://w3id.org/iopgraph/id/report/d06-02> ;
           dcterms:title ?title ; bibo:pageStart ?page }""",
    )
    graph = {_fold(r["title"]): int(r["page"]) for r in rows}
    assert len(graph) == len(entries)
    for title, page in entries:
        assert graph.get(_fold(title)) == page, (title, page)


def test_the_table_of_contents_lists_every_top_level_section(
    shipped_store: ox.Store, report_text: str
) -> None:
    rows = select(
        shipped_store,
        """SELECT ?s WHERE {
        ?s a iop:ReportSection ; dcterms:isPartOf <https://w3id.org/iopgraph/id/report/d06-02> }""",
    )
    assert len(rows) == len(toc_entries(report_text))


# ---------------------------------------------------------------------------
# Figures and tables
# ---------------------------------------------------------------------------


def captions(report_text: str, kind: str) -> dict[int, str]:
    """``Figure N caption`` / ``Table N caption`` lines (not references in running text)."""
    found: dict[int, str] = {}
    for line in report_text.splitlines():
        if m := re.match(rf"^\*?{kind} (\d+) ([^*]+?)\*?\s*$", line.strip()):
            found[int(m[1])] = m[2].strip()
    return found


@pytest.mark.parametrize(
    ("kind", "cls", "number"), [("Figure", "Figure", "figureNumber"), ("Table", "Table", "tableNumber")]
)
def test_every_figure_and_table_is_in_the_graph_with_its_caption(
    shipped_store: ox.Store, report_text: str, kind: str, cls: str, number: str
) -> None:
    expected = captions(report_text, kind)
    assert expected and sorted(expected) == list(range(1, len(expected) + 1))
    rows = select(
        shipped_store,
        f"SELECT ?n ?title ?section WHERE {{ ?f a iop:{cls} ; iop:{number} ?n ; dcterms:title ?title ; iop:section ?section }}",
    )
    graph = {int(r["n"]): r["title"] for r in rows}
    assert graph == expected


def test_figure_source_lines_are_the_reports_without_personal_names(
    shipped_store: ox.Store, report_text: str
) -> None:
    source = normalise_report_text(report_text)
    rows = select(
        shipped_store,
        "SELECT ?n ?line WHERE { ?f a iop:Figure ; iop:figureNumber ?n ; iop:sourceLine ?line }",
    )
    assert len(rows) == len(captions(report_text, "Figure"))
    presenters = re.findall(r"presentation of ([A-Z][a-z]+ [A-Z][a-z]+) \(", source)
    assert presenters, "the report names the presenter of Figure 2"
    for r in rows:
        assert not any(p in r["line"] for p in presenters)
        if "presentation of" not in r["line"]:
            assert normalise_report_text(r["line"]) in source, r["line"]


# ---------------------------------------------------------------------------
# Boxes, annexes, abstract and executive summary
# ---------------------------------------------------------------------------


def box_headings(report_text: str) -> list[str]:
    """The boxes are the headings phrased as questions ("How to ...?", "What does ...?")."""
    return [
        normalise_report_text(re.sub(r"^#+\s*", "", line)).strip()
        for line in report_text.splitlines()
        if line.startswith("#") and line.rstrip().rstrip("*").endswith("?")
    ]


def test_every_box_of_the_report_is_a_box_in_the_graph(shipped_store: ox.Store, report_text: str) -> None:
    headings = box_headings(report_text)
    rows = select(shipped_store, "SELECT ?b ?title WHERE { ?b a iop:Box ; dcterms:title ?title }")
    assert len(rows) == len(headings)
    assert sorted(_fold(r["title"]) for r in rows) == sorted(_fold(h) for h in headings)


def test_every_box_names_the_use_case_it_illustrates(shipped_store: ox.Store) -> None:
    rows = select(
        shipped_store,
        """SELECT ?b (COUNT(DISTINCT ?u) AS ?n) (COUNT(DISTINCT ?uc) AS ?cases) WHERE {
        ?b a iop:Box .
        OPTIONAL { ?b iop:illustrates ?u . ?u a/rdfs:subClassOf* iop:Initiative }
        OPTIONAL { ?b iop:illustratesUseCase ?uc . ?uc iop:isUseCase true } } GROUP BY ?b""",
    )
    assert rows and all(int(r["n"]) >= 1 for r in rows), [r["b"] for r in rows if int(r["n"]) == 0]
    assert all(int(r["cases"]) == 1 for r in rows), [r["b"] for r in rows if int(r["cases"]) != 1]


def test_every_posts_organisation_is_recorded_as_consulted_in_its_activity(shipped_store: ox.Store) -> None:
    rows = select(
        shipped_store,
        """SELECT ?f WHERE {
        ?f iop:consultedIn ?act ; <http://www.w3.org/ns/org#postIn> ?org . FILTER NOT EXISTS { ?org iop:consulted ?act } }""",
    )
    assert rows == []


def test_every_annex_and_its_numbered_parts_are_sections(shipped_store: ox.Store, report_text: str) -> None:
    annexes = re.findall(r"(?m)^#+\s*(?:\d+\s+)?Annex (\d) – (.+)$", report_text)
    assert len(annexes) >= 5
    for number, title in annexes:
        rows = select(shipped_store, f"SELECT ?t WHERE {{ <{SECTION}annex-{number}> dcterms:title ?t }}")
        assert rows and _fold(title) in _fold(rows[0]["t"]), (number, title)


def test_abstract_and_executive_summary_are_in_full(shipped_store: ox.Store, report_text: str) -> None:
    for slug, start, end in (
        ("abstract", "# Abstract", "# Executive summary"),
        ("executive-summary", "# Executive summary", "# Introduction"),
    ):
        paragraphs = [
            p for p in report_text.split(start + "\n", 1)[1].split(end, 1)[0].split("\n") if p.strip()
        ]
        rows = select(shipped_store, f"SELECT ?text WHERE {{ <{SECTION}{slug}> iop:text ?text }}")
        assert sorted(normalise_report_text(r["text"]).strip() for r in rows) == sorted(
            normalise_report_text(p).strip() for p in paragraphs
        )
    abstract = select(
        shipped_store, "SELECT ?a WHERE { <https://w3id.org/iopgraph/id/report/d06-02> dcterms:abstract ?a }"
    )
    assert (
        normalise_report_text(abstract[0]["a"]).strip()
        == normalise_report_text(
            report_text.split("# Abstract\n", 1)[1].split("# Executive summary", 1)[0]
        ).strip()
    )


# ---------------------------------------------------------------------------
# Annex 2: the questionnaires, question by question
# ---------------------------------------------------------------------------


def questionnaire_questions(report_text: str) -> dict[str, dict[int, str]]:
    """Annex 2's numbered questions per questionnaire heading ("6.1 Scoping interview questionnaire", ...)."""
    annex = report_text.split("Annex 2 – Data collection tools", 1)[1].split("Annex 3 – Glossary", 1)[0]
    found: dict[str, dict[int, str]] = {}
    current = None
    for line in annex.splitlines():
        if m := re.match(r"^#+\s*\**6\.\d\s+(.+?)\**\s*$", line):
            current = m[1].strip()
            found[current] = {}
        elif current and (m := re.match(r"^(\d+)\.\s+(.+)$", line.strip())):
            found[current][int(m[1])] = m[2].strip()
    return found


def test_every_question_of_annex_2_is_in_its_questionnaire(shipped_store: ox.Store, report_text: str) -> None:
    expected = questionnaire_questions(report_text)
    assert len(expected) == 2 and all(expected.values())
    rows = select(
        shipped_store,
        """SELECT ?qnLabel ?count ?activity ?n ?text WHERE {
        ?qn a iop:Questionnaire ; rdfs:label ?qnLabel ; iop:questionCount ?count ; iop:usedIn ?activity .
        ?q iop:inQuestionnaire ?qn ; iop:questionNumber ?n ; iop:questionText ?text }""",
    )
    for title, questions in expected.items():
        mine = [r for r in rows if r["qnLabel"] == title]
        assert {int(r["n"]): r["text"] for r in mine} == questions, title
        assert {int(r["count"]) for r in mine} == {len(questions)}
    # Each questionnaire is linked to the consultation activity it names.
    used = {r["qnLabel"]: r["activity"].rsplit("/", 1)[1] for r in rows}
    assert used == {
        "Scoping interview questionnaire": "scoping-interviews",
        "In-depth interview questionnaire": "in-depth-interviews",
    }


def test_optional_questions_are_the_ones_marked_optional(shipped_store: ox.Store, report_text: str) -> None:
    marked = sum(
        1
        for qs in questionnaire_questions(report_text).values()
        for t in qs.values()
        if t.startswith("[Optional]")
    )
    rows = select(shipped_store, "SELECT ?q WHERE { ?q a iop:Question ; iop:optionalQuestion true }")
    assert marked and len(rows) == marked


# ---------------------------------------------------------------------------
# Annex 1: the posts of the people consulted, never their names
# ---------------------------------------------------------------------------


def annex_1_entries(report_text: str) -> dict[str, list[str]]:
    """The bullet lines of Annex 1 per sub-section, with the person's name cut off (text after the first comma)."""
    annex = report_text.split("# Annex 1 – List of stakeholders consulted", 1)[1].split(
        "Annex 2 – Data collection tools", 1
    )[0]
    parts = re.split(r"(?m)^## (\d)\. ", annex)[1:]
    entries: dict[str, list[str]] = {}
    for number, body in zip(parts[0::2], parts[1::2], strict=True):
        lines = [line[2:] for line in body.splitlines() if line.startswith("- ")]
        # A line naming two people ("A and B, Policy Officers at ...") lists two posts.
        entries[number] = [
            line.split(", ", 1)[1] for line in lines for _ in line.split(", ", 1)[0].split(" and ")
        ]
    return entries


@pytest.mark.parametrize(
    ("number", "activity"), [("1", "scoping-interviews"), ("2", "in-depth-interviews"), ("3", "focus-group")]
)
def test_every_post_listed_in_annex_1_is_a_function_of_its_activity(
    shipped_store: ox.Store, report_text: str, number: str, activity: str
) -> None:
    entries = annex_1_entries(report_text)[number]
    rows = select(
        shipped_store,
        f"""SELECT ?f ?title ?org WHERE {{
        ?f a iop:Function ; iop:consultedIn <https://w3id.org/iopgraph/id/consultation/{activity}> ;
           org:postIn/rdfs:label ?org . OPTIONAL {{ ?f iop:postTitle ?title }} }}""".replace(
            "SELECT", "PREFIX org: <http://www.w3.org/ns/org#>\nSELECT", 1
        ),
    )
    assert len(rows) == len(entries), (len(rows), entries)
    text = " ".join(entries).lower()
    for r in rows:
        if "title" in r:
            assert r["title"].lower() in text, r["title"]
        else:  # the report gives the organisation only
            assert any(e.strip() == r["org"] for e in entries), r["org"]


# ---------------------------------------------------------------------------
# Enumerated lists of chapters 1 and 2 (bulleted, numbered, run into a sentence)
# ---------------------------------------------------------------------------


def printed_items(report_text: str, intro: str) -> list[str]:
    """The bullet or numbered lines that follow the line containing ``intro``, as plain text."""
    lines = report_text.splitlines()
    start = next(i for i, line in enumerate(lines) if intro in normalise_report_text(line))
    items: list[str] = []
    bullet = True
    for line in lines[start + 1 :]:
        # Footnote blocks of a page break ("---", "<sup>N</sup> ...", their URL and
        # "Available online" continuation lines) can interrupt a list.
        if not line.strip() or re.match(
            r"^(---|<sup>|\[?<?https?:|\[https?:|Available online)", line.strip()
        ):
            continue
        m = re.match(r"^\s*(-|\d+\.)\s+(.*)$", line)
        # The list ends at the first other line, or where bullets turn into numbers (or back).
        if not m or (items and (m[1] == "-") != bullet):
            break
        bullet = m[1] == "-"
        items.append(normalise_report_text(m[2]).strip().rstrip(";.,").strip())
    return items


def test_every_enumerated_list_has_the_reports_items(shipped_store: ox.Store, report_text: str) -> None:
    lists = select(
        shipped_store,
        """SELECT ?l ?style ?count ?quote WHERE {
        ?l a iop:EnumeratedList ; iop:listStyle ?style ; iop:itemCount ?count ; iop:quote ?quote }""",
    )
    assert len(lists) >= 10
    items = select(
        shipped_store,
        "SELECT ?l ?pos ?quote WHERE { ?i iop:inList ?l ; iop:position ?pos ; iop:quote ?quote }",
    )
    for lst in lists:
        mine = [
            i["quote"] for i in sorted((i for i in items if i["l"] == lst["l"]), key=lambda i: int(i["pos"]))
        ]
        assert len(mine) == int(lst["count"]), lst["l"]
        if lst["style"] == "inline":
            # The items cover the whole enumeration: removing them leaves only separators.
            rest = normalise_report_text(lst["quote"])
            for quote in sorted(mine, key=len, reverse=True):
                assert quote in rest, (lst["l"], quote)
                rest = rest.replace(quote, "", 1)
            assert re.fullmatch(r"[\s,\"]*(?:(?:such as|as well as|and|its|to)[\s,\"]*)*", rest), (
                lst["l"],
                rest,
            )
        else:
            assert printed_items(report_text, normalise_report_text(lst["quote"])) == mine, lst["l"]


def test_lists_whose_size_the_report_states_have_that_many_items(
    shipped_store: ox.Store, report_text: str
) -> None:
    source = normalise_report_text(report_text)
    words = {"two": 2, "three": 3, "four": 4, "five": 5}
    checked = 0
    for lst in select(
        shipped_store,
        "SELECT ?l ?count ?quote WHERE { ?l a iop:EnumeratedList ; iop:itemCount ?count ; iop:quote ?quote }",
    ):
        # "comprised three main steps", "three main objectives", "The three main technical building blocks"
        if m := re.search(r"\b(two|three|four|five)\b", lst["quote"]):
            assert words[m[1]] == int(lst["count"]), lst
            checked += 1
    assert checked >= 3
    assert "The programme supports projects in five key capacity areas" in source
    areas = select(
        shipped_store,
        "SELECT ?count WHERE { <https://w3id.org/iopgraph/id/report/d06-02/list/digital-europe-programme-capacity-areas> iop:itemCount ?count }",
    )
    assert int(areas[0]["count"]) == 5


# ---------------------------------------------------------------------------
# Hierarchies the report draws
# ---------------------------------------------------------------------------


def test_partnership_forms_sit_under_public_private_partnership(
    shipped_store: ox.Store, report_text: str
) -> None:
    forms = printed_items(report_text, "These public-private partnerships can take several forms:")
    rows = select(
        shipped_store,
        """SELECT ?label WHERE {
        ?c skos:broader <https://w3id.org/iopgraph/concept/partnership-form/public-private-partnership> ; skos:prefLabel ?label }""",
    )
    assert len(rows) == len(forms) == 3
    for r in rows:
        assert any(_fold(r["label"]).split()[0] in _fold(f) for f in forms), r["label"]


def test_governance_models_carry_their_defining_criterion(shipped_store: ox.Store, report_text: str) -> None:
    source = normalise_report_text(report_text)
    m = re.search(r"identify (\w+) governance models regarding (the role of local authorities)", source)
    assert m and m[1] == "three"
    models = [line for line in report_text.splitlines() if re.match(r"^\s+- The \w+ approach where", line)]
    rows = select(
        shipped_store,
        """SELECT ?c ?criterion WHERE {
        <https://w3id.org/iopgraph/concept/governance-model> skos:hasTopConcept ?c ; iop:definingCriterion ?criterion }""",
    )
    assert len(rows) == len(models) == 3
    assert all(r["criterion"].lower().startswith(m[2]) for r in rows)


def test_every_challenge_observation_quotes_the_report(shipped_store: ox.Store, report_text: str) -> None:
    source = normalise_report_text(report_text).lower()
    rows = select(
        shipped_store, "SELECT ?o ?quote WHERE { ?o a iop:ChallengeObservation ; iop:quote ?quote }"
    )
    # Each sentence of chapters 3 and 4 that says "all four use cases" / "most use cases" met something is recorded.
    assert len(rows) >= len(re.findall(r"all four use cases analysed|faced by most use cases", source))
    assert all(normalise_report_text(r["quote"]).lower() in source for r in rows)


# ---------------------------------------------------------------------------
# Footnotes, Annex 3 glossary and Annex 4 bibliography
# ---------------------------------------------------------------------------


def test_every_footnote_of_the_report_is_a_footnote_in_the_graph(
    shipped_store: ox.Store, report_text: str
) -> None:
    numbers = {int(n) for n in re.findall(r"(?m)^<sup>(\d+)</sup>", report_text)}
    assert numbers == set(range(1, max(numbers) + 1))
    rows = select(shipped_store, "SELECT ?n WHERE { ?f a iop:Footnote ; iop:footnoteNumber ?n }")
    assert {int(r["n"]) for r in rows} == numbers


def test_every_annex_4_entry_is_a_publication_in_the_bibliography(
    shipped_store: ox.Store, report_text: str
) -> None:
    annex = report_text.split("Annex 4 – Bibliography", 1)[1].split("Annex 5 – Use cases", 1)[0]
    entries = [line for line in annex.splitlines() if line.startswith("- ")]
    rows = select(shipped_store, "SELECT ?p WHERE { ?p iop:inBibliography true }")
    assert entries and len(rows) == len(entries)


def test_every_glossary_term_of_annex_3_is_a_concept(shipped_store: ox.Store, report_text: str) -> None:
    annex = report_text.split("Annex 3 – Glossary", 1)[1].split("Annex 4", 1)[0]
    terms = [line.split("\t")[0].strip() for line in annex.splitlines() if "\t" in line][1:]
    rows = select(
        shipped_store,
        """SELECT ?label WHERE { ?c skos:inScheme ?s ; skos:prefLabel ?label . ?s iop:glossaryOf ?r }""",
    )
    assert terms and sorted(_fold(r["label"]) for r in rows) == sorted(_fold(t) for t in terms)


# ---------------------------------------------------------------------------
# Bulleted lists of chapters 3 and 4 that the graph holds as concepts, factors
# and recommendations
# ---------------------------------------------------------------------------


def _narrower_count(store: ox.Store, broader: str, cls: str) -> int:
    rows = select(
        store,
        f"SELECT ?c WHERE {{ ?c a iop:{cls} ; skos:broader <https://w3id.org/iopgraph/concept/{broader}> }}",
    )
    return len(rows)


def test_chapter_3_and_4_lists_are_concepts_and_factors(shipped_store: ox.Store, report_text: str) -> None:
    # Section 3.1: user participation "can take several forms:" (democratic participants, ...)
    forms = printed_items(
        report_text,
        "is a key element of the scoping phase of smart city projects and can take several forms:",
    )
    scheme = select(
        shipped_store,
        "SELECT ?c WHERE { <https://w3id.org/iopgraph/concept/participation-form> skos:hasTopConcept ?c }",
    )
    assert len(forms) == len(scheme) == 3
    # Section 3.2: the governance roles that steer data management (Chief ... Officers)
    roles = printed_items(
        report_text, "a series of governance roles responsible for steering data management"
    )
    chiefs = select(
        shipped_store,
        """SELECT ?c WHERE { ?c skos:inScheme <https://w3id.org/iopgraph/concept/post-type> ;
        skos:prefLabel ?l . FILTER(STRSTARTS(?l, "Chief")) }""",
    )
    assert len(roles) == len(chiefs) == 4
    # Section 4.1: the factors behind diverging views on open data (a footnote block interrupts the list)
    factors = printed_items(
        report_text,
        "This can be explained by multiple factors, revealed by the analysis of the four use cases:",
    )
    assert (
        len(factors)
        == _narrower_count(
            shipped_store, "challenge/diverging-views-on-open-data-and-data-sharing", "ChallengeFactor"
        )
        == 4
    )


def test_every_recommendation_the_report_lists_is_in_the_graph(
    shipped_store: ox.Store, report_text: str
) -> None:
    listed = {int(n) for n in re.findall(r"(?m)^- \*\*Recommendation (\d+):\*\*", report_text)}
    cited = {int(n) for n in re.findall(r"Recommendation (\d+)\b", normalise_report_text(report_text))}
    rows = select(shipped_store, "SELECT ?n WHERE { ?r a iop:Recommendation ; iop:recommendationNumber ?n }")
    numbers = {int(r["n"]) for r in rows}
    assert listed and listed <= numbers and cited <= numbers
