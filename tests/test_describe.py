"""English descriptions: a corpus of expression -> sentence, and every valid expression gets one.

Each sentence in the corpus was checked by reading the expression against SPEC.md:
wrap-around ranges, steps, the day rule (both day fields restricted: "and";
one restricted: it alone) and the section 8 items.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from cronsec import CronExpr
from cronsec._describe import describe, ordinal
from cronsec._format import canonical
from cronsec.strategies import expressions

CORPUS = [
    # the examples
    ("*/5 * * * * 1-5", "every 5 seconds, Monday through Friday"),
    ("0 30 4 1,15 * 5", "at 04:30:00 on day 1 and 15 of the month, and on Friday"),
    ("30 4 1,15 * 5", "at 04:30:00 on day 1 and 15 of the month, and on Friday"),
    ("0 0 12 13 * 5", "at 12:00:00 on day 13 of the month, and on Friday"),
    # time of day
    ("* * * * * *", "every second"),
    ("* * * * *", "every minute"),
    ("30 * * * * *", "every minute at second 30"),
    ("0 0 * * * *", "every hour"),
    ("@hourly", "every hour"),
    ("0 30 * * * *", "every hour at minute 30"),
    ("15 30 * * * *", "every hour at minute 30, second 15"),
    ("0 0 */2 * * *", "every 2 hours"),
    ("0 0 0-23/6 * * *", "every 6 hours"),
    ("0 30 */2 * * *", "every 2 hours from 00:30:00 through 22:30:00"),
    ("0 0 9-17/4 * * *", "every 4 hours from 09:00:00 through 17:00:00"),
    ("0 30 9-17 * * *", "every hour from 09:30:00 through 17:30:00"),
    ("0 0 22-2 * * *", "every hour from 22:00:00 through 02:00:00"),
    ("0 30 4,16 * * *", "at 04:30:00 and 16:30:00"),
    ("0 30 1,5,9-12 * * *",
     "at 01:30:00 and 05:30:00, and every hour from 09:30:00 through 12:30:00"),
    ("*/15 * * * *", "every 15 minutes"),
    ("0 0,30 * * * *", "every 30 minutes"),
    ("0 5/15 * * * *", "every 15 minutes from 5 through 50 minutes past the hour"),
    ("0 0-9 * * * *", "every minute from 0 through 9 minutes past the hour"),
    ("0 50-10 * * * *", "every minute from 50 through 10 minutes past the hour"),
    ("0 5,35 * * * *", "at 5 and 35 minutes past the hour"),
    ("0 0-4,30 * * * *", "at minutes 0 through 4 and 30 past the hour"),
    ("15 */5 * * * *", "every 5 minutes at second 15"),
    ("0 */5 9-17 * * *", "every 5 minutes, between 09:00 and 17:59"),
    ("0 */5 22-2 * * *", "every 5 minutes, between 22:00 and 02:59"),
    ("0 * */3 * * *", "every minute, during every 3rd hour"),
    ("0 * 1,5,10 * * *", "every minute, during hours 1, 5 and 10"),
    ("0 * 1,5,9 * * *", "every minute, during every 4th hour from 01:00 through 09:59"),
    ("*/10 30 * * * *", "every 10 seconds during minute 30 of every hour"),
    ("*/10 30 9 * * *", "every 10 seconds from 09:30:00 through 09:30:50"),
    ("* 30 9 * * *", "every second from 09:30:00 through 09:30:59"),
    ("0,15,40 30 9 * * *", "at 0, 15 and 40 seconds past 09:30"),
    ("50-10 30 9 * * *", "at seconds 0 through 10 and 50 through 59 past 09:30"),
    ("*/10 30 9-17 * * *", "every 10 seconds during minute 30, between 09:00 and 17:59"),
    ("* */5 * * * *", "every second during every 5th minute of every hour"),
    ("5-10,20 * * * * *", "at seconds 5 through 10 and 20 past the minute"),
    ("50-10 * * * * *", "every second from 50 through 10 seconds past the minute"),
    ("5/10 * * * * *", "every 10 seconds from 5 through 55 seconds past the minute"),
    # a wrapping hour range is not said to wrap into the next (not firing) day
    ("0 0 22-2 * * 5", "every hour from 00:00:00 through 02:00:00, and at 22:00:00 and 23:00:00 "
     "on Friday"),
    # days of the month
    ("0 0 0 1 * *", "at 00:00:00 on day 1 of the month"),
    ("@monthly", "at 00:00:00 on day 1 of the month"),
    ("0 0 0 */2 * *", "at 00:00:00 on every 2nd day of the month"),
    ("0 0 0 10-20/5 * *", "at 00:00:00 on every 5th day from day 10 through 20 of the month"),
    ("0 0 0 1-5,25-31 * *", "at 00:00:00 on days 1 through 5 and 25 through 31 of the month"),
    ("0 0 0 28-3 * *", "at 00:00:00 on days 1 through 3 and 28 through 31 of the month"),
    ("0 0 0 L * *", "at 00:00:00 on the last day of the month"),
    ("0 0 0 L-1 * *", "at 00:00:00 on the second-to-last day of the month"),
    ("0 0 0 LW * *", "at 00:00:00 on the last weekday of the month"),
    ("0 0 0 15W * *", "at 00:00:00 on the weekday nearest day 15 of the month"),
    ("0 0 0 L-2W * *", "at 00:00:00 on the weekday nearest the third-to-last day of the month"),
    ("0 0 0 1,L * *", "at 00:00:00 on day 1 and the last day of the month"),
    ("0 0 0 1,15,L * *", "at 00:00:00 on day 1 and 15, and the last day of the month"),
    # days of the week
    ("0 0 9 * * 5", "at 09:00:00 on Friday"),
    ("@weekly", "at 00:00:00 on Sunday"),
    ("0 0 9 * * 1-5", "at 09:00:00, Monday through Friday"),
    ("0 0 9 * * MON-FRI", "at 09:00:00, Monday through Friday"),
    ("0 0 9 * * FRI-MON", "at 09:00:00, Friday through Monday"),
    ("0 0 9 * * 7", "at 09:00:00 on Sunday"),
    ("0 0 9 * * SAT,SUN", "at 09:00:00 on Saturday and Sunday"),
    ("0 0 9 * * 1,3,5", "at 09:00:00 on Monday, Wednesday and Friday"),
    ("0 0 9 * * */2", "at 09:00:00 on Tuesday, Thursday, Saturday and Sunday"),
    ("0 0 9 * * FRI#2", "at 09:00:00 on the second Friday of the month"),
    ("0 0 9 * * 5L", "at 09:00:00 on the last Friday of the month"),
    ("0 0 9 * * 1#1,5#3,5L",
     "at 09:00:00 on the first Monday, the third Friday and the last Friday of the month"),
    ("0 0 9 * * 3,1#1", "at 09:00:00 on Wednesday and on the first Monday of the month"),
    # the day rule
    ("0 0 0 L * 5", "at 00:00:00 on the last day of the month, and on Friday"),
    ("0 0 0 13 * 5#2", "at 00:00:00 on day 13 of the month, and on the second Friday of the month"),
    ("0 0 0 ? * 5L", "at 00:00:00 on the last Friday of the month"),
    ("0 0 0 * * 5L", "at 00:00:00 on the last Friday of the month"),
    ("0 0 0 *,L * 5", "at 00:00:00 on Friday"),
    ("0 0 0 1-31 * 1", "at 00:00:00 on Monday"),
    ("0 0 0 */2 * 0-6", "at 00:00:00 on every 2nd day of the month"),
    ("0 0 0 * * 0-6,5L", "at 00:00:00"),
    # months and years
    ("@yearly", "at 00:00:00 on day 1 of the month, in January"),
    ("0 0 0 * NOV-FEB *", "at 00:00:00, in November through February"),
    ("0 0 0 1 */3 *", "at 00:00:00 on day 1 of the month, in January, April, July and October"),
    ("0 0 12 * * MON 2027-2030", "at 12:00:00 on Monday, in 2027 through 2030"),
    ("0 0 0 1 1 * 2027", "at 00:00:00 on day 1 of the month, in January, in 2027"),
    ("0 0 0 1 1 * */2", "at 00:00:00 on day 1 of the month, in January, in even years"),
    ("0 0 0 1 1 * 2027/5",
     "at 00:00:00 on day 1 of the month, in January, in every 5th year from 2027 through 9997"),
    ("0 0 0 1 1 * 2026,9999", "at 00:00:00 on day 1 of the month, in January, in 2026 and 9999"),
    ("0 0 0 1 1 * */3,*/2", "at 00:00:00 on day 1 of the month, in January, in every 2nd year "
     "from 1970 through 9998 and every 3rd year from 1973 through 9998"),
    # month ranges are not said to wrap across a year boundary when years are restricted
    ("0 0 0 1 NOV-FEB * 2027", "at 00:00:00 on day 1 of the month, in January, February, "
     "November and December, in 2027"),
    ("0 0 0 * 2 MON#5", "at 00:00:00 on the fifth Monday of the month, in February"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "sentence"), CORPUS)
def test_corpus(text, sentence):
    assert describe(text) == sentence
    assert describe(CronExpr(text)) == sentence
    assert describe(CronExpr(text).fields) == sentence


def test_cronexpr_has_describe():
    describe_method = getattr(CronExpr, "describe", None)
    if describe_method is None:
        pytest.skip("CronExpr.describe() not wired in yet")
    assert CronExpr("*/5 * * * * 1-5").describe() == "every 5 seconds, Monday through Friday"


def test_ordinals():
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th",
        "21st", "22nd", "23rd", "101st", "111th",
    ]  # fmt: skip


ALL_FORMS = expressions(fields=(5, 6, 7), day_items=True, whitespace=True)


@settings(max_examples=250)
@given(ALL_FORMS)
def test_every_valid_expression_gets_a_sentence(text):
    sentence = describe(text)
    assert sentence and sentence == sentence.strip()
    assert "  " not in sentence and "None" not in sentence and ",," not in sentence
    assert sentence.startswith(("at ", "every "))


@settings(max_examples=200)
@given(ALL_FORMS)
def test_equal_meaning_gives_equal_words(text):
    # The canonical text has the same sets, so the same sentence, and fires alike.
    normal = canonical(CronExpr(text).fields)
    assert CronExpr(normal) == CronExpr(text)
    assert describe(normal) == describe(text)
    assert canonical(CronExpr(normal).fields) == normal
