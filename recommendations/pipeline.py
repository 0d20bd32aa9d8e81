"""The one ranking pipeline: candidate sources -> features -> situations and scoring -> diversity ->
exploration slots -> reasons. Feeds, the anonymous feed and an item page's similar items all run it.

Serving (selectors.py) passes database sources; fitting and offline evaluation pass in-memory ones built by the same
code from training data. What is shared: the stages, the pool sizes, the features, the situations, the stored form of
a person's interests, the feedback definitions (signals.py), and the functions that build statistics and neighbour
lists. What is not:
- the weights: serving uses the active fitted version (RankerWeights; the priors before any fit), while offline
  evaluation fits its own on each split's training data, from the priors, with the same fitting code. An offline
  number is what the site would serve after a refit on that data, not with the weights it serves today;
- the sources' exactness: serving searches an HNSW index and reads neighbour lists as last rebuilt, memory sources
  search exactly and build the lists from the training data at once;
- the data: evaluation reads ratings as its loader is told (evaluate_recommender --graded-ratings), and its people
  carry no preferred domains or named feedback, so their reasons are not the site's.
"""

from dataclasses import dataclass, field

import numpy as np

from recommendations import collaborative, features, ranking, situations
from recommendations.explain import Context, explain
from recommendations.interests import InterestModel
from recommendations.sources import Facts, NeighbourLists, Scope, Sources
from recommendations.timing import stage

# Pool sizes per source.
MAX_INTERESTS = 5
ANN_PER_INTEREST = 60
QUERY_CANDIDATES = 120
CROSS_DOMAIN_PER_INTEREST = 20
NEIGHBOUR_LIMITS = {
    collaborative.COSINE: 100,
    collaborative.CROSS: 50,
    collaborative.CF: 100,
    collaborative.CF_CROSS: 100,
}
PEOPLE_NEAREST = 30
PEOPLE_CANDIDATES = 100
POPULAR_PER_DOMAIN = 15
TRENDING_LIMIT = 30
FRESH_LIMIT = 30
# The liked items compared by meaning (co-engagement anchors: collaborative.anchor_weights).
LIKED_FOR_SIMILARITY = 200
# The collaborative model's strongest predictions, compared by meaning with every candidate (new items included).
TASTE_ITEMS = 20
FEED_DEPTH = 100
PAGE_SIZE = 20
# A new profile's setting (content.models.DEFAULT_EXPLORE); evaluation serves people with it.
DEFAULT_EXPLORE = 0.4
# Visitors we know nothing about see a broad mix by default.
ANONYMOUS_EXPLORE = 0.5


@dataclass(frozen=True)
class Person:
    """What the pipeline knows about whom it ranks for. An empty Person is an anonymous visitor."""

    model: InterestModel = field(default_factory=InterestModel)
    user: int | None = None  # left out of "people like you"
    bio_vector: np.ndarray | None = None
    excluded: frozenset[int] = frozenset()
    # Strongest feedback per item (kind, value), so reasons name what the person actually did.
    feedback: dict[int, tuple[str, float | None]] = field(default_factory=dict)
    preferred_domains: frozenset[str] = frozenset()
    # The history's summed neighbour lists over the whole catalog, where the worker stored them (None: sum now).
    neighbours: NeighbourLists | None = None


@dataclass(frozen=True)
class Request:
    now: float
    explore: float = DEFAULT_EXPLORE
    query: str = ""
    query_vector: np.ndarray | None = None
    scope: Scope = Scope()
    depth: int = FEED_DEPTH
    page_size: int = PAGE_SIZE


@dataclass
class Ranked:
    item_id: int
    score: float
    reason: str
    reason_kind: str
    signals: dict[str, float]


@dataclass
class Candidates:
    """Everything scored about one person's pool: the stage fitting learns from."""

    facts: Facts
    values: dict[str, np.ndarray]
    situations: np.ndarray
    sources: dict[int, str]
    evidence: features.Evidence
    anchors: dict[str, dict[int, int]]


def _home_domains(liked: Facts, model: InterestModel) -> tuple[str, ...]:
    """The domain the history mostly lives in; cross-domain candidates come from the others."""
    weights: dict[str, float] = {}
    for item_id, domain in zip(liked.ids, liked.domains, strict=True):
        weights[domain] = weights.get(domain, 0.0) + model.positive_items.get(int(item_id), 0.0)
    return tuple(sorted(weights, key=lambda domain: (-weights[domain], domain))[:1])


def _taste(anchors, cf_scores: dict[int, float], scope: Scope, sources: Sources):
    """The collaborative model's strongest predictions for this person, wherever they are (a domain tab or a set of
    new items has none of its own), as facts and weights relative to the strongest."""
    if not anchors:
        return None, None
    if scope.domain or scope.exclude_domains or scope.within is not None:
        found = sources.neighbours(anchors, limits={collaborative.CF: TASTE_ITEMS}, scope=Scope())
        cf_scores = found.get(collaborative.CF, ({}, {}))[0]
    best = sorted(cf_scores, key=lambda item: (-cf_scores[item], item))[:TASTE_ITEMS]
    if not best:
        return None, None
    facts = sources.facts(best)
    weights = np.array([cf_scores[int(item)] for item in facts.ids], dtype=np.float32)
    return facts, weights / max(float(weights.max(initial=0.0)), 1e-9)


def _model_anchors(found, away: np.ndarray, facts: Facts) -> dict[int, int]:
    """Which liked item weighed most in each candidate's collaborative-model score, from the model that scored it."""
    anchors = dict(found.get(collaborative.CF, ({}, {}))[1])
    across = found.get(collaborative.CF_CROSS, ({}, {}))[1]
    for item in facts.ids[away]:
        if int(item) in across:
            anchors[int(item)] = across[int(item)]
    return anchors


def candidates(person: Person, request: Request, sources: Sources) -> Candidates:
    """Gather the pool from every source, look the items up and compute each one's features and situation."""
    model = person.model
    scope = request.scope
    pool: dict[int, str] = {}

    def add(ids, source):
        for item_id in ids:
            if item_id not in person.excluded:
                pool.setdefault(item_id, source)

    with stage("liked"):
        liked_ids = model.strongest(LIKED_FOR_SIMILARITY)
        liked = sources.facts(liked_ids) if liked_ids else Facts.empty()
    interest_vectors = [interest.vector for interest in model.interests[:MAX_INTERESTS]]
    with stage("candidates_ann"):
        if request.query_vector is not None:
            add(sources.nearest([request.query_vector], k=QUERY_CANDIDATES, scope=scope), "query")
        if interest_vectors:
            add(sources.nearest(interest_vectors, k=ANN_PER_INTEREST, scope=scope), "semantic")
        if interest_vectors and scope.domain is None:
            home = _home_domains(liked, model)
            cross = Scope(exclude_domains=scope.exclude_domains + home, within=scope.within)
            add(sources.nearest(interest_vectors[:2], k=CROSS_DOMAIN_PER_INTEREST, scope=cross), "cross_domain")
    with stage("candidates_collaborative"):
        anchors = model.positive_items
        if person.neighbours is not None and scope == Scope():
            found = person.neighbours
        else:
            found = sources.neighbours(anchors, limits=NEIGHBOUR_LIMITS, scope=scope) if anchors else {}
        neighbour_scores = {kind: found.get(kind, ({}, {}))[0] for kind in NEIGHBOUR_LIMITS}
        for kind in (collaborative.COSINE, collaborative.CF, collaborative.CROSS, collaborative.CF_CROSS):
            add(neighbour_scores[kind], "collaborative")
        taste, taste_weights = _taste(anchors, neighbour_scores[collaborative.CF], scope, sources)
    with stage("candidates_people"):
        people: dict[int, float] = {}
        for vector in (person.bio_vector, request.query_vector):
            if vector is not None:
                found_people = sources.people(
                    vector, k=PEOPLE_NEAREST, exclude_user=person.user, limit=PEOPLE_CANDIDATES, scope=scope
                )
                for item, score in found_people.items():
                    people[item] = people.get(item, 0.0) + score
        add(sorted(people, key=lambda item: (-people[item], item))[:PEOPLE_CANDIDATES], "people")
    with stage("candidates_popular_fresh"):
        add(sources.fresh(limit=FRESH_LIMIT, scope=scope), "fresh")
        add(sources.trending(limit=TRENDING_LIMIT, scope=scope), "trending")
        add(sources.popular(limit_per_domain=POPULAR_PER_DOMAIN, scope=scope), "popular")
    with stage("facts"):
        facts = sources.facts(list(pool)) if pool else Facts.empty()
        keep = facts.active.copy()
        if scope.domain:
            keep &= facts.domains == scope.domain
        facts = facts.take(np.flatnonzero(keep))
    evidence = features.Evidence(
        collab=neighbour_scores[collaborative.COSINE],
        collab_cross=neighbour_scores[collaborative.CROSS],
        cf=neighbour_scores[collaborative.CF],
        cf_cross=neighbour_scores[collaborative.CF_CROSS],
        people=people,
        liked=liked,
        taste=taste,
        taste_weights=taste_weights,
    )
    with stage("features"):
        values = features.compute(
            facts,
            model=model,
            evidence=evidence,
            now=request.now,
            query_vector=request.query_vector,
            preferred_domains=person.preferred_domains,
            centres=sources.domain_centres() if len(liked) else {},
        )
        history_domains = set(liked.domains.tolist())
        situation = situations.assign(
            positive_items=len(model.positive_items), history_domains=history_domains, facts=facts
        )
    return Candidates(
        facts=facts,
        values=values,
        situations=situation,
        sources=pool,
        evidence=evidence,
        anchors={
            "collab": found.get(collaborative.COSINE, ({}, {}))[1],
            "collab_cross": found.get(collaborative.CROSS, ({}, {}))[1],
            "cf": _model_anchors(found, situations.in_new_domain(facts, history_domains), facts),
        },
    )


def feed(person: Person, request: Request, sources: Sources, ranker: ranking.Ranker) -> list[Ranked]:
    """A diversity-aware feed, best first, with a reason on every entry."""
    found = candidates(person, request, sources)
    facts = found.facts
    if len(facts) == 0:
        return []
    with stage("ranking"):
        # Four decimals, as shown: differences below that are rounding (SQL and numpy sum in different orders),
        # and must not reorder a feed.
        contributions = ranker.contribution_matrix(found.values, found.situations)
        scores = np.round(contributions.sum(axis=1), 4)
    explore = request.explore
    if request.query_vector is not None or request.scope.domain is not None:
        # Someone who asked for something (in words, or by opening a domain's tab) wants it; the explore setting still
        # applies, at half strength.
        explore *= 0.5
    with stage("diversity"):
        order = ranking.diversify(
            facts.vectors,
            facts.domains,
            facts.popularity,
            scores,
            explore=explore,
            limit=request.depth,
            page_size=request.page_size,
        )
        if request.scope.domain is None:
            slotted = ranking.with_exploration(
                order,
                domains=facts.domains,
                popularity=facts.popularity,
                freshness=found.values["freshness"],
                scores=scores,
                explore=explore,
                page_size=request.page_size,
            )
        else:
            slotted = [(row, False) for row in order]
    with stage("reasons"):
        liked = found.evidence.liked
        context = Context(
            model=person.model,
            liked=liked,
            titles=sources.titles([int(item) for item in liked.ids]) if len(liked) else {},
            domain_names=sources.domain_names(),
            feedback=person.feedback,
            anchors=found.anchors,
            query=request.query,
            query_similarity=found.values["query"] if request.query_vector is not None else None,
        )
        return _explained(found, contributions, scores, slotted, context)


# More like this: the item's nearest in meaning and its co-engaged items, ranked as a situation of their own.
SIMILAR_NEAREST = 40
SIMILAR_NEIGHBOURS = {collaborative.COSINE: 20, collaborative.CF: 20}
SIMILAR_EXPLORE = 0.4


def similar_candidates(item_id: int, *, excluded: frozenset[int], sources: Sources, now: float) -> Candidates | None:
    """An item page's pool, with each candidate's features, all in the similar-items situation (None: the item has
    no vector yet). Fitting learns this situation's weights from the same stage."""
    item = sources.facts([item_id])
    if len(item) == 0:
        return None
    excluded = excluded | {item_id}
    pool = dict.fromkeys(sources.nearest([item.vectors[0]], k=SIMILAR_NEAREST, scope=Scope()), "similar")
    found = sources.neighbours({item_id: 1.0}, limits=SIMILAR_NEIGHBOURS, scope=Scope())
    for kind in SIMILAR_NEIGHBOURS:
        for candidate in found.get(kind, ({}, {}))[0]:
            pool.setdefault(candidate, "collaborative")
    facts = sources.facts([candidate for candidate in pool if candidate not in excluded])
    facts = facts.take(np.flatnonzero(facts.active))
    evidence = features.Evidence(
        collab=found.get(collaborative.COSINE, ({}, {}))[0],
        collab_cross={},
        cf=found.get(collaborative.CF, ({}, {}))[0],
        people={},
        liked=item,
    )
    values = features.for_item(
        facts, item=item, evidence=evidence, now=now, centres=sources.domain_centres() if len(facts) else {}
    )
    return Candidates(
        facts=facts,
        values=values,
        situations=np.full(len(facts), situations.SITUATIONS.index(situations.SIMILAR_ITEMS)),
        sources=pool,
        evidence=evidence,
        anchors={
            "collab": found.get(collaborative.COSINE, ({}, {}))[1],
            "cf": found.get(collaborative.CF, ({}, {}))[1],
        },
    )


def _explained(
    found: Candidates, contributions: np.ndarray, scores: np.ndarray, slotted: list[tuple[int, bool]], context: Context
) -> list[Ranked]:
    """The ranked entries in display order (row, is exploration), each with its reason and signal contributions."""
    facts = found.facts
    shown, typical = ranking.explained(contributions, [row for row, _ in slotted])
    ranked = []
    for (row, exploration), signals in zip(slotted, shown, strict=True):
        reason, kind = explain(
            facts,
            row,
            signals,
            context,
            typical=typical,
            freshness=float(found.values["freshness"][row]),
            exploration=exploration,
            source=found.sources.get(int(facts.ids[row])),
        )
        ranked.append(Ranked(int(facts.ids[row]), round(float(scores[row]), 4), reason, kind, signals))
    return ranked


def similar(
    item_id: int, *, excluded: frozenset[int], sources: Sources, ranker: ranking.Ranker, now: float, limit: int
) -> list[Ranked]:
    """Semantically close and co-engaged items, scored by the ranker's similar-items weights, diversified, other
    domains included, each with a reason that relates it to the item."""
    found = similar_candidates(item_id, excluded=excluded, sources=sources, now=now)
    if found is None or len(found.facts) == 0:
        return []
    facts = found.facts
    contributions = ranker.contribution_matrix(found.values, found.situations)
    scores = np.round(contributions.sum(axis=1), 4)
    order = ranking.diversify(
        facts.vectors,
        facts.domains,
        facts.popularity,
        scores,
        explore=SIMILAR_EXPLORE,
        limit=limit,
        page_size=limit,
        domain_cap=0.5,
    )
    context = Context(
        model=InterestModel(),
        liked=found.evidence.liked,
        titles=sources.titles([item_id]),
        domain_names=sources.domain_names(),
        anchors=found.anchors,
        page_item=item_id,
    )
    return _explained(found, contributions, scores, [(row, False) for row in order], context)
