from reference.rgro.stages import parse_stages


def test_numbered_items_are_stages_with_spans_into_the_text():
    text = "1. Small left pleural effusion. 2. Nodule of 4.5 mm in the right upper lobe. 3. No pneumothorax."
    stages = parse_stages(text)
    assert [s.text for s in stages] == [
        "Small left pleural effusion.",
        "Nodule of 4.5 mm in the right upper lobe.",
        "No pneumothorax.",
    ]
    assert all(text[s.start : s.end] == s.text for s in stages)
    assert [s.index for s in stages] == [0, 1, 2]


def test_unnumbered_impression_splits_into_sentences():
    stages = parse_stages("  Cardiomegaly. Mild edema!\nNo effusion")
    assert [s.text for s in stages] == ["Cardiomegaly.", "Mild edema!", "No effusion"]


def test_numbering_must_start_at_one():
    assert [s.text for s in parse_stages("Stable since 2. Effusion.")] == ["Stable since 2.", "Effusion."]


def test_final_recommendation_is_its_own_stage():
    stages = parse_stages("1. Right upper lobe nodule, 7 mm. 2. Recommend CT chest in 6-12 months.")
    assert [s.recommendation for s in stages] == [False, True]
    single = parse_stages("Recommend follow-up.")
    assert not single[0].recommendation  # a lone statement is a decision, not a trailing recommendation


def test_empty_and_punctuation_only_stages_are_dropped():
    assert parse_stages("") == []
    assert [s.text for s in parse_stages("Effusion. . .")] == ["Effusion."]
