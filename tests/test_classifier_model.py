"""The trained classifier's mechanics: features, training, the saved model and its fast scoring."""
from __future__ import annotations

import numpy as np
import pytest

from bot.understanding.classifier import ModelClassifier
from bot.understanding.features import extract, normalise
from bot.understanding.training import Example, is_held_out, split, train_model
from tests.support import civicbot, config_file

# A handful of messages per label, enough to exercise training (quality is measured by bench/classify.py
# on the real corpus, not here).
SAMPLES = {
    "street_vending": ["楼下又在摆摊", "路口好多小贩占道卖菜", "夜市烧烤摊摆到马路上了", "三轮车卖水果堵了人行道",
                       "早市占到经营太严重", "门口有人擺攤賣衣服"],
    "sanitation": ["垃圾堆了好几天没人清", "垃圾桶满了溢出来", "路边全是烟头和塑料袋", "背街小巷脏得要命",
                   "绿化带里都是垃圾", "拉圾没人收"],
    "illegal_ads": ["电线杆上贴满小广告", "墙上喷了办证电话", "楼道里全是牛皮癣", "有人在路口发传单",
                    "小广高贴得到处都是", "单元门上贴的开锁广告"],
    "none": ["你好", "谢谢你们", "在吗", "测试一下", "怎么用这个", "好的收到"],
}


def examples() -> list[Example]:
    return [Example(text, label) for label, texts in SAMPLES.items() for text in texts]


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    trained, report = train_model(examples(), only="logistic C=16.0", folds=2)
    path = tmp_path_factory.mktemp("model") / "model.npz"
    trained.save(path)
    return trained, ModelClassifier.load(path), report


def test_folding_meets_traditional_full_width_and_case():
    assert normalise("擺攤，ＷＴＦ！") == "摆摊wtf"


def test_features_include_pinyin_so_homophone_typos_meet():
    assert "p:zhan_dao" in extract("占到经营") and "p:zhan_dao" in extract("占道经营")
    assert "w:baitan" in extract("又有人 baitan 了")
    weights = extract("垃圾垃圾")
    assert pytest.approx(sum(v * v for v in weights.values())) == 1.0


def test_the_saved_model_scores_exactly_as_trained(model):
    trained, loaded, _ = model
    for text in ["楼下有人摆摊", "你好呀", "墙上贴了好多广告"]:
        assert np.allclose(trained.probabilities(text), loaded.probabilities(text), atol=1e-6)
        assert loaded.classify(text) == trained.classify(text)


def test_probabilities_are_calibrated_shares(model):
    _, loaded, report = model
    probabilities = loaded.probabilities("路边垃圾没人清理")
    assert pytest.approx(probabilities.sum()) == 1.0 and report["temperature"] > 0
    result = loaded.classify("路边垃圾没人清理")
    assert result.category == "sanitation" and 0 < result.confidence <= 1
    assert loaded.classify("谢谢你们").category is None


def test_the_held_out_split_is_fixed_by_the_text_and_never_trained_on():
    corpus = examples()
    train, test = split(corpus)
    assert {e.text for e in test} == {e.text for e in corpus if is_held_out(e.text)}
    assert not {e.text for e in train} & {e.text for e in test}
    assert is_held_out("楼下又在摆摊") == is_held_out("楼下又在摆摊！！")   # punctuation does not move a message


def test_train_command_builds_the_model_the_bot_loads_and_folds_reviewed_corrections(app, settings, tmp_path,
                                                                                      resident):
    from models import CategoryCorrection
    corpus = tmp_path / "corpus.tsv"
    corpus.write_text("text\tlabel\ttown\n" + "".join(f"{e.text}\t{e.label}\t\n" for e in examples()),
                      encoding="utf-8")
    model_path = tmp_path / "model.npz"
    config = config_file(tmp_path / "train.toml", settings,
                         f'[classifier]\nmodel = "{model_path}"\ncorpus = "{corpus}"\n')
    resident.says("晋祠镇这边有个情况想反映一下")
    resident.says("改为 违法小广告")
    listing = civicbot(config, "corrections", "list")
    correction_id = listing.stdout.split("\t")[0]
    assert "illegal_ads" in listing.stdout and "1 correction(s) pending" in listing.stdout
    assert civicbot(config, "corrections", "accept", correction_id).exit_code == 0
    trained = civicbot(config, "train", "--fold-corrections")
    assert trained.exit_code == 0, trained.stderr
    assert "folded 1 accepted correction" in trained.stdout and model_path.exists()
    assert "晋祠镇这边有个情况想反映一下\tillegal_ads" in corpus.read_text(encoding="utf-8")
    with app.extensions["civicbot"].sessions() as session:
        from sqlalchemy import select
        assert session.scalar(select(CategoryCorrection.review)) == "folded"
    classified = civicbot(config, "classify", input="门口有人摆摊卖菜\n")
    assert '"category": "street_vending"' in classified.stdout


def test_words_not_surely_a_report_are_flagged_by_the_threshold_training_chose(model):
    _, loaded, _ = model
    text = "楼下又在摆摊，谢谢"
    report_probability = 1.0 - loaded.probabilities(text)[loaded.classes.index("none")]
    assert loaded.classify(text).category == "street_vending"

    def with_threshold(threshold: float) -> ModelClassifier:
        return ModelClassifier(loaded.classes, sorted(loaded._index, key=loaded._index.get), loaded._weights,
                               loaded._bias, loaded.temperature, {**loaded.metadata, "report_sure_above": threshold})
    assert with_threshold(report_probability - 0.01).classify(text).surely_a_report
    assert not with_threshold(report_probability + 0.01).classify(text).surely_a_report


def test_training_picks_the_lowest_threshold_that_keeps_non_reports_from_opening_unasked():
    from bot.understanding.training import _report_sure_above
    classes = ["none", "sanitation"]
    # 100 non-report messages out of fold: five of them look like reports, with these probabilities of being one.
    looks_like_reports = [0.55, 0.6, 0.7, 0.8, 0.95]
    p_report = looks_like_reports + [0.1] * 95
    scores = np.log(np.array([[1 - p, p] for p in p_report]))
    truth = np.zeros(100, dtype=int)
    # 1.5 % of 100 allows one message through unasked: the 0.95 one; 0.8 and below must be asked.
    assert _report_sure_above(scores, truth, classes) == 0.81
    assert _report_sure_above(scores, truth, ["sanitation", "street_vending"]) == 0.0  # no non-reports: never ask
