from jaxfound import cli


def test_demo_runs_and_writes_plot(tmp_path, capsys):
    test = cli.demo(out=str(tmp_path), epochs=3)
    out = capsys.readouterr().out
    assert "test accuracy" in out and (tmp_path / "history.png").stat().st_size > 1000
    assert test["accuracy"] > 0.8  # 3 epochs on digits are well above chance (0.1)
