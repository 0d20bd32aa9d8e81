"""Fit the ranker's weights per situation on held-out splits of training data that reproduce each situation.

Each situation's weights are searched on its own task (long histories continued, three-click histories, people
with words only, a hidden domain, brand-new items, an item page's similar items) by ranking the same candidate pools
the site serves. A signal a task cannot observe keeps its prior weight. In the short-history task a hit counts for
less the more popular the item (exposure_weights), so that fit does not learn to serve what people would have found
anyway. Each situation also has single-signal experts (the collaborative model, co-engagement, popularity, meaning,
people alike): the best of them is the floor, and a fitted blend is served only as far as it beats that expert on
users held out from the fit (shrinkage). The report says, per situation, what was compared, what is served and why.
"""

from dataclasses import dataclass, field

import numpy as np

from recommendations import pipeline, splits
from recommendations.dataset import Dataset, diagnose, rows_by_user
from recommendations.evaluation import metrics
from recommendations.features import FEATURES
from recommendations.offline import person_from
from recommendations.ranking import PRIORS, PUSH_AWAY, STATED_FEATURES, Ranker
from recommendations.situations import LONG_HISTORY, NEW_DOMAIN, NEW_ITEM, SHORT_HISTORY, SITUATIONS
from recommendations.sources.memory import MemorySources

K = 10
TRIALS = 240
CHECK_SHARE = 0.3
MAX_TASK_USERS = 1000
# Single-signal experts: what a simple recommender built on one source alone would serve (EASE, item-kNN,
# popularity, the embedding model, people who wrote alike). Each situation serves the best of them unless a blend
# beats it on held-out users; a blend is trusted in proportion to how clearly it does (shrinkage).
EXPERTS = {
    "collaborative model": ("cf",),
    "co-engagement": ("collab", "collab_cross"),
    "popularity": ("popularity",),
    "meaning": ("sem_history", "sem_items", "sem_transfer", "sem_taste", "sem_bio"),
    "people alike": ("people",),
}
# A situation needs this many users in its task before its weights are fitted.
MIN_TASK_USERS = 3
# Item-level situations are rescaled against the person's other candidates on these mixed tasks.
CALIBRATION_GRID = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
MIN_CALIBRATION_HITS = 10
# A signal that varies less than this among a situation's candidates tells the fit nothing (e.g. freshness when
# everything was published the same day).
OBSERVABLE_SPREAD = 1e-3

# Which split reproduces each situation, and with which options.
TASKS = {
    "long_history": (splits.temporal, {}),
    "short_history": (splits.few_shot, {"shorter": True}),
    "words_only": (splits.words_only, {"share": 0.5, "brief": True}),
    "new_domain": (splits.new_domain, {"user_share": 0.5}),
    "new_item": (splits.cold_items, {"share": 0.1}),
    "similar_items": (splits.co_engaged, {}),
}


@dataclass
class Task:
    """One situation's validation data: per user, the pool's features, situations and which items were wanted."""

    situation: str
    values: np.ndarray  # users x pool x features (padded)
    situations: np.ndarray  # users x pool (-1 where padded)
    relevant: np.ndarray  # users x pool, bool
    wanted: np.ndarray  # per user: how many items were held out (found in the pool or not)
    # users x pool: what finding each candidate, if wanted, is worth to the fit (default 1; see exposure_weights)
    worth: np.ndarray | None = None

    def __post_init__(self):
        if self.worth is None:
            self.worth = np.ones(self.relevant.shape, dtype=np.float32)

    def rows(self, users: np.ndarray) -> "Task":
        return Task(
            self.situation,
            self.values[users],
            self.situations[users],
            self.relevant[users],
            self.wanted[users],
            self.worth[users],
        )

    def __len__(self) -> int:
        return len(self.wanted)

    def counted_alike(self) -> "Task":
        return Task(self.situation, self.values, self.situations, self.relevant, self.wanted)


def exposure_weights(engagement: np.ndarray) -> np.ndarray:
    """What finding each held-out item is worth to a fit: 1 / sqrt(1 + the item's interactions).

    Held-out interactions are not a fair sample of what people want: a popular item was shown, and found, far more
    often. A fit that counts every hit alike learns to serve popularity (the loop this ranker exists to break), most
    of all for short histories, whose next click is often the item everyone clicks next, while what they go on to
    like over time is not. Inverse-propensity weighting, with a propensity growing as the square root of the item's
    interactions (a usual form for recommendation logs), fits for what people want beyond what they would have found
    anyway. Offline evaluation still counts every hit alike.
    """
    return (1.0 / np.sqrt(1.0 + np.asarray(engagement, dtype=np.float32))).astype(np.float32)


# Tasks whose wanted items are the first clicks of histories: the ones most driven by what a site shows everyone
# first (sign-up and front pages), while the feed is for what the person goes on to like. Tasks whose wanted items
# span whole histories (a history continued, a words-only person's likes, a hidden domain, new items) count every
# hit alike, as evaluation does: weighting them too cost words-only people a fifth of their hits on real dialogue
# data, where what people ask for is mostly well known.
EXPOSURE_WEIGHTED = (SHORT_HISTORY,)


def task_from_split(split: splits.Split, *, seed: int, max_users: int = MAX_TASK_USERS) -> Task | None:
    """Run the pipeline's candidate stage for the split's test users, as the site would serve them."""
    users = sorted(split.test)
    if len(users) > max_users:
        users = sorted(np.random.default_rng(seed).choice(users, size=max_users, replace=False).tolist())
    if len(users) < MIN_TASK_USERS:
        return None
    sources = MemorySources(split.train, seed=seed)
    index = rows_by_user(split.train)
    worth_of = exposure_weights if split.situation in EXPOSURE_WEIGHTED else np.ones_like
    collected = []
    for user in users:
        found = _pool(split, user, sources, index)
        matrix = np.stack([found.values[name] for name in FEATURES], axis=1)
        relevant = np.isin(found.facts.ids, list(split.test[user]))
        collected.append((matrix, found.situations, relevant, len(split.test[user]), worth_of(found.facts.engagement)))
    width = max(1, max(len(matrix) for matrix, *_ in collected))
    values = np.zeros((len(collected), width, len(FEATURES)), dtype=np.float32)
    situation = np.full((len(collected), width), -1, dtype=np.int64)
    relevant = np.zeros((len(collected), width), dtype=bool)
    worth = np.zeros((len(collected), width), dtype=np.float32)
    for row, (matrix, kinds, hits, _, exposure) in enumerate(collected):
        values[row, : len(matrix)] = matrix
        situation[row, : len(kinds)] = kinds
        relevant[row, : len(hits)] = hits
        worth[row, : len(exposure)] = exposure
    wanted = np.array([count for _, _, _, count, _ in collected], dtype=np.float32)
    return Task(split.situation, values, situation, relevant, wanted, worth)


def _pool(split: splits.Split, user: int, sources: MemorySources, index: dict) -> pipeline.Candidates:
    if user in split.queries:
        # An item page: the pool is the page item's, without what the person already met (as evaluation serves it).
        met = frozenset(split.train.items[index.get(user, [])].tolist())
        return pipeline.similar_candidates(split.queries[user], excluded=met, sources=sources, now=sources.now)
    person = person_from(split.train, user, now=sources.now, index=index)
    return pipeline.candidates(person, pipeline.Request(now=sources.now, scope=split.scope(user)), sources)


def ndcg_per_user(task: Task, weights: np.ndarray, k: int = K) -> np.ndarray:
    """NDCG@k of ranking each user's pool by the blend (weights: situations x features), each hit counted at its
    gain (exposure_weights) against the ideal of plain hits, so a fit prefers the blend that finds what people
    would not have found anyway.

    Ties are broken against the wanted items: a blend that cannot tell candidates apart must not score well by
    the luck of the pool's order.
    """
    if len(task) == 0:
        return np.zeros(0)
    safe = np.maximum(task.situations, 0)
    scores = np.einsum("upf,upf->up", task.values, weights[safe]).astype(np.float64)
    scores -= 1e-9 * task.relevant
    scores[task.situations < 0] = -np.inf
    k = min(k, scores.shape[1])
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    top = np.take_along_axis(top, np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1), axis=1)
    gains = np.take_along_axis(task.relevant * task.worth, top, axis=1)
    return metrics.ndcg_of_gains(gains, np.maximum(task.wanted, 1))


def ndcg(task: Task, weights: np.ndarray, k: int = K) -> float:
    """Mean NDCG@k over the task's users."""
    return float(np.mean(ndcg_per_user(task, weights, k))) if len(task) else 0.0


def observable(tasks: list[Task], situation: int) -> list[int]:
    """Features that vary among this situation's candidates somewhere (the others keep their prior)."""
    found = []
    for index, name in enumerate(FEATURES):
        if name in STATED_FEATURES:
            continue
        for task in tasks:
            mask = task.situations == situation
            if mask.any() and np.ptp(task.values[..., index][mask]) > OBSERVABLE_SPREAD:
                found.append(index)
                break
    return found


def _objective(tasks: list[Task], weights: np.ndarray) -> float:
    return float(np.mean([ndcg(task, weights) for task in tasks])) if tasks else 0.0


def _search(tasks: list[Task], raw: np.ndarray, scales: np.ndarray, situation: int, dims: list[int], rng) -> np.ndarray:
    """Random local search over one situation's observable weights; their total size stays the prior's (so a fit
    changes the balance among signals, not their weight against the person's own words).

    The current blend, each signal alone and an even blend are always tried, so the result is never worse on the
    fitting users than any of them. Returns the new raw weights (situations x features).
    """
    signs = np.array([-1.0 if FEATURES[d] in PUSH_AWAY else 1.0 for d in dims])
    prior = PRIORS[SITUATIONS[situation]]
    budget = float(np.abs([prior[FEATURES[d]] for d in dims]).sum()) or 1.0

    def place(magnitudes):
        candidate = raw.copy()
        magnitudes = np.abs(magnitudes)
        total = magnitudes.sum()
        candidate[situation, dims] = signs * (magnitudes / total * budget if total > 0 else magnitudes)
        return candidate

    def objective(candidate):
        return _objective(tasks, candidate * scales[:, None])

    best, best_score = raw, objective(raw)
    current = np.abs(raw[situation, dims])
    starts = [np.eye(len(dims))[index] for index in range(len(dims)) if FEATURES[dims[index]] not in PUSH_AWAY]
    starts.append(np.ones(len(dims)))
    for trial in range(len(starts) + TRIALS):
        if trial < len(starts):
            proposal = starts[trial]
        elif trial % 4 == 0:
            # Jump: a fresh sparse blend, since many good blends lean on two or three signals.
            proposal = rng.dirichlet(np.ones(len(dims)))
            proposal[rng.random(len(dims)) < 0.3] = 0.0
        else:
            # Step: rescale a few weights of the best blend so far; a zero weight can come back.
            proposal = (current + 0.02 * current.sum() * (rng.random(len(dims)) < 0.1)) * np.exp(
                rng.normal(0.0, 0.5, len(dims)) * (rng.random(len(dims)) < 0.4)
            )
            proposal[rng.random(len(dims)) < 0.05] = 0.0
        candidate = place(proposal)
        score = objective(candidate)
        if score > best_score:
            best, best_score, current = candidate, score, np.abs(candidate[situation, dims])
    return best


@dataclass
class FitResult:
    ranker: Ranker
    report: dict = field(default_factory=dict)
    changed: bool = False


def shrinkage(gain: np.ndarray) -> float:
    """How far to trust a blend over the best expert, from their paired per-user differences on held-out users: the
    share of the mean gain's square that is signal rather than sampling noise, m^2 / (m^2 + se^2), and 0 when the
    blend does not gain on average. A clear win on many people keeps the blend; a small or noisy one on a few
    people stays close to the expert."""
    if len(gain) < 2 or gain.mean() <= 0:
        return 0.0
    mean, error = float(gain.mean()), float(gain.std(ddof=1) / np.sqrt(len(gain)))
    return mean**2 / (mean**2 + error**2)


def _interval(gain: np.ndarray) -> list[float]:
    """95% paired interval of the mean difference (normal approximation)."""
    if len(gain) < 2:
        return [0.0, 0.0]
    half = 1.96 * float(gain.std(ddof=1) / np.sqrt(len(gain)))
    return [round(float(gain.mean()) - half, 4), round(float(gain.mean()) + half, 4)]


def _expert_row(row: np.ndarray, features: tuple[str, ...], dims: list[int], budget: float) -> np.ndarray:
    """A situation's weights with one expert's signals among the observable ones (`dims`); the person's stated
    signals, push-aways and whatever the task cannot observe keep their weights."""
    expert = row.astype(np.float32).copy()
    expert[[d for d in dims if FEATURES[d] not in PUSH_AWAY]] = 0.0
    indices = [FEATURES.index(name) for name in features]
    expert[indices] = budget / len(indices)
    return expert


def _shrunk(
    tasks: list[Task], index: int, dims: list[int], blend: np.ndarray, expert: np.ndarray, trust: float
) -> np.ndarray:
    """The blend's and the expert's scores mixed by trust, each in units of its own spread among a person's
    candidates: weights alone would let a signal with a wide spread (popularity) take over a mix it has a small share
    of. The learned weights keep the blend's total; the rest of the row is the blend's."""
    if trust >= 1.0:
        return blend.copy()
    if trust <= 0.0:
        return expert.copy()
    mixed = blend.copy()
    learned = [d for d in dims if FEATURES[d] not in PUSH_AWAY]
    mixed[learned] = trust * blend[learned] / _spread(tasks, index, blend) + (1 - trust) * expert[learned] / _spread(
        tasks, index, expert
    )
    total = float(np.abs(mixed[learned]).sum())
    if total > 0:
        mixed[learned] *= _learned_budget(blend, dims) / total
    return mixed.astype(np.float32)


def _spread(tasks: list[Task], index: int, row: np.ndarray) -> float:
    """The mean, over people, of the standard deviation of a row's scores among their candidates in this situation."""
    spreads = []
    for task in tasks:
        scores = task.values @ row
        mask = task.situations == index
        for person in range(len(task)):
            if mask[person].sum() > 1:
                spreads.append(float(scores[person][mask[person]].std()))
    return float(np.mean(spreads)) if spreads and np.mean(spreads) > 0 else 1.0


def _learned_budget(row: np.ndarray, dims: list[int]) -> float:
    return float(sum(abs(row[d]) for d in dims if FEATURES[d] not in PUSH_AWAY))


def _with_row(raw: np.ndarray, index: int, row: np.ndarray) -> np.ndarray:
    trial = raw.copy()
    trial[index] = row
    return trial


def _per_user(tasks: list[Task], raw: np.ndarray, scales: np.ndarray) -> np.ndarray:
    return np.concatenate([ndcg_per_user(task, raw * scales[:, None]) for task in tasks]) if tasks else np.zeros(0)


def _experts(fit_own: list[Task], raw: np.ndarray, scales: np.ndarray, index: int, dims: list[int]) -> dict:
    """The experts this situation's task can observe, each as a weights row, best on the fitting users first."""
    observed = {FEATURES[d] for d in dims}
    budget = _learned_budget(raw[index], dims) or 1.0
    rows = {
        name: _expert_row(raw[index], features, dims, budget)
        for name, features in EXPERTS.items()
        if observed & set(features)
    }
    score = {name: _objective(fit_own, _with_row(raw, index, row) * scales[:, None]) for name, row in rows.items()}
    return {name: rows[name] for name in sorted(rows, key=lambda name: -score[name])}


def fit(tasks: list[Task], current: Ranker, *, seed: int = 0) -> FitResult:
    """Per situation: fit a blend on part of the task's users, and serve, on the rest, whichever holds up: the best
    single expert, or the blend shrunk toward it by how clearly it beats that expert; then keep the result only if it
    ranks the held-out users at least as well as what is served now (or what is served now falls below the expert)."""
    rng = np.random.default_rng(seed)
    fit_tasks, check_tasks = [], []
    for task in tasks:
        order = rng.permutation(len(task))
        cut = int(round(len(task) * (1 - CHECK_SHARE)))
        fit_tasks.append(task.rows(np.sort(order[:cut])))
        check_tasks.append(task.rows(np.sort(order[cut:])))
    start_raw, start_scales = current.raw_matrix(), current.scale_vector()
    raw, scales = start_raw.copy(), start_scales.copy()
    dims_of = {index: observable(fit_tasks, index) for index in range(len(SITUATIONS))}
    for index, name in enumerate(SITUATIONS):
        own = [task for task in fit_tasks if task.situation == name]
        if own and dims_of[index]:
            raw = _search(own, raw, scales, index, dims_of[index], rng)
    scales = _calibrate(fit_tasks, raw, scales)
    final_raw, final_scales = start_raw.copy(), start_scales.copy()
    report = {}
    for index, name in enumerate(SITUATIONS):
        pairs = [
            (fitted, check) for fitted, check in zip(fit_tasks, check_tasks, strict=True) if fitted.situation == name
        ]
        fit_own, own_check = [p[0] for p in pairs], [p[1] for p in pairs]
        users = int(sum(len(task) for task in own_check))
        entry = {
            "users": users,
            "observed": [FEATURES[d] for d in dims_of[index]],
            "objective": "exposure-weighted NDCG@10" if name in EXPOSURE_WEIGHTED else "NDCG@10",
        }
        if not own_check or not dims_of[index] or users < MIN_TASK_USERS:
            why = (
                "no task in this data reproduces the situation"
                if not own_check or not dims_of[index]
                else f"only {users} held-out users to check a fit on"
            )
            entry |= {"adopted": False, "served": "current weights", "reason": f"{why}; weights kept"}
            report[name] = entry
            continue
        experts = _experts(fit_own, raw, scales, index, dims_of[index])
        expert_name, expert_row = next(iter(experts.items()))
        check_scales = final_scales.copy()
        check_scales[index] = scales[index]
        expert = _per_user(own_check, _with_row(final_raw, index, expert_row), check_scales)
        blend = _per_user(own_check, _with_row(final_raw, index, raw[index]), check_scales)
        served_now = _per_user(own_check, final_raw, final_scales)
        trust = shrinkage(blend - expert)
        candidate_row = _shrunk(fit_own, index, dims_of[index], raw[index], expert_row, trust)
        candidate = _per_user(own_check, _with_row(final_raw, index, candidate_row), check_scales)
        entry |= {
            "experts": {
                expert: round(float(_per_user(own_check, _with_row(final_raw, index, row), check_scales).mean()), 4)
                for expert, row in experts.items()
            },
            "best_expert": expert_name,
            "check_current": round(float(served_now.mean()), 4),
            "check_blend": round(float(blend.mean()), 4),
            "check_served": round(float(candidate.mean()), 4),
            "blend_vs_expert": _interval(blend - expert),
            "trust": round(trust, 3),
            "served": "fitted blend" if trust >= 0.5 else f"{expert_name} (blend at {trust:.0%})",
            "scale": round(float(scales[index]), 3),
        }
        if np.allclose(candidate_row, final_raw[index]) and np.isclose(check_scales[index], final_scales[index]):
            entry |= {"adopted": False, "reason": "what is served now is what the check chose"}
        elif candidate.mean() >= served_now.mean():
            final_raw, final_scales = _with_row(final_raw, index, candidate_row), check_scales
            entry |= {"adopted": True, "reason": "ranks held-out users at least as well as what was served"}
        elif served_now.mean() < expert.mean():
            # The floor: nothing served may rank below the best single expert.
            final_raw, final_scales = _with_row(final_raw, index, expert_row), check_scales
            entry |= {
                "adopted": True,
                "served": expert_name,
                "reason": f"what was served fell below the {expert_name} expert on held-out users",
            }
        else:
            entry |= {"adopted": False, "reason": "did not rank held-out users as well as what is served now"}
        report[name] = entry
    ranker = Ranker(
        weights={
            name: {feature: round(float(final_raw[i, f]), 4) for f, feature in enumerate(FEATURES)}
            for i, name in enumerate(SITUATIONS)
        },
        scales={name: round(float(final_scales[i]), 4) for i, name in enumerate(SITUATIONS)},
    )
    changed = not (np.allclose(final_raw, start_raw) and np.allclose(final_scales, start_scales))
    return FitResult(ranker, report, changed=changed)


def _calibrate(tasks: list[Task], raw: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """Scale the item-level situations (new domain, new item) against the person's other candidates, on the tasks
    where both kinds compete for the same slots (continued and short histories), every hit counted alike: which
    situation wins a slot is a question of how often its candidates are wanted, and exposure weighting would favour
    untouched items for being untouched. Returns the scales."""
    mixed = [task.counted_alike() for task in tasks if task.situation in (LONG_HISTORY, SHORT_HISTORY)]
    scales = scales.copy()
    for name in (NEW_ITEM, NEW_DOMAIN):
        index = SITUATIONS.index(name)
        hits = sum(int((task.relevant & (task.situations == index)).sum()) for task in mixed)
        if hits < MIN_CALIBRATION_HITS:
            continue
        best_scale, best_score = scales[index], _objective(mixed, raw * scales[:, None])
        for factor in CALIBRATION_GRID:
            trial = scales.copy()
            trial[index] = factor
            score = _objective(mixed, raw * trial[:, None])
            if score > best_score:
                best_scale, best_score = factor, score
        scales[index] = best_scale
    return scales


def tasks_for(dataset: Dataset, *, seed: int = 0) -> tuple[list[Task], dict[str, str], dict[str, list[str]]]:
    """One task per situation the data can reproduce; the reasons for those it cannot; what each split noticed."""
    tasks, skipped, notes = [], {}, {}
    for name, (make, options) in TASKS.items():
        try:
            split = make(dataset, seed=seed, **options)
        except splits.SplitSkipped as reason:
            skipped[name] = str(reason)
            continue
        if split.notes:
            notes[name] = split.notes
        task = task_from_split(split, seed=seed)
        if task is None:
            skipped[name] = f"fewer than {MIN_TASK_USERS} users"
            continue
        tasks.append(task)
    return tasks, skipped, notes


def fit_on(dataset: Dataset, current: Ranker, *, seed: int = 0) -> FitResult:
    tasks, skipped, notes = tasks_for(dataset, seed=seed)
    result = fit(tasks, current, seed=seed)
    for name, reason in skipped.items():
        result.report[name]["reason"] = f"weights kept: {reason}"
    for name, found in notes.items():
        result.report[name]["notes"] = found
    result.report["_tasks"] = {task.situation: len(task) for task in tasks}
    result.report["_data"] = diagnose(dataset)
    return result
