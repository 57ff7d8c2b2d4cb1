"""One rule for code functions: which files count and where a function ends, for eval and finetune alike."""

from __future__ import annotations

from pathlib import Path

from telecomgpt.domain.code_functions import code_files, go_functions, is_code_file, python_functions

GO = '''package nas

// Encode writes the message into a buffer, one information element after another.
func (m *Message) Encode(buf []byte) error {
	if m == nil {
		return errNil // "}" and '{' must not end the function
	}
	open := '{'
	_ = open
	return nil
}

func undocumented() {
}

// Decode reads the message back from the wire format.
func Decode(b []byte) (*Message, error) {
	m := &Message{}
	return m, nil
}
'''

PY = '''class Channel:
    @property
    def gain(self):
        """Linear power gain of the channel, from the stored dB value."""
        return 10 ** (self.gain_db / 10)

    def only_doc(self):
        """A docstring and nothing else is not a function worth asking about."""


def noise(n0, bandwidth):
    """Thermal noise power.

    More detail that a summary leaves out."""
    return n0 * bandwidth
'''


def test_go_function_ends_at_the_closing_brace_line_not_at_a_brace_in_a_string():
    found = go_functions(GO)
    assert [fn.name for fn in found] == ["Encode", "Decode"]  # the undocumented function is not one
    encode = found[0]
    assert encode.signature == "func (m *Message) Encode(buf []byte) error"
    assert encode.doc == "Encode writes the message into a buffer, one information element after another."
    assert encode.text(doc=False).splitlines()[-1] == "}" and "return nil" in encode.text(doc=False)
    assert encode.text().startswith("// Encode writes") and encode.size == 8
    assert (encode.def_line, encode.last_line, encode.offset) == (4, 11, GO.index("// Encode"))


def test_python_functions_with_and_without_doc_decorators_and_indent():
    found = {fn.name: fn for fn in python_functions(PY)}
    assert set(found) == {"gain", "noise"}
    gain = found["gain"]
    assert gain.signature == "def gain(self)" and (gain.first_line, gain.def_line, gain.size) == (2, 3, 4)
    assert gain.text() == ('@property\ndef gain(self):\n'
                           '    """Linear power gain of the channel, from the stored dB value."""\n'
                           '    return 10 ** (self.gain_db / 10)')
    assert gain.text(doc=False, decorators=False, dedent=False) == (
        "    def gain(self):\n        return 10 ** (self.gain_db / 10)")
    assert found["noise"].doc.startswith("Thermal noise power.\n\nMore detail")


def test_test_files_never_count(tmp_path: Path):
    for name in ("nas.go", "nas_test.go", "test_channel.py", "conftest.py", "channel.py", "README.md"):
        (tmp_path / name).write_text("")
    assert [p.name for p in code_files(tmp_path)] == ["channel.py", "nas.go"]
    assert code_files(tmp_path / "nas_test.go") == [] and not is_code_file(Path("latest_tests.py"))


def test_real_corpus_functions(shared_dir: Path):
    files = code_files(shared_dir / "data/corpus/code")
    assert not any("test" in p.name.lower() for p in files) and len(files) > 300
    go = [fn for p in files if p.suffix == ".go" for fn in go_functions(p.read_text())]
    py = [fn for p in files if p.suffix == ".py" for fn in python_functions(p.read_text())]
    assert len(go) > 200 and len(py) > 200
    assert all(fn.text(doc=False).startswith("func ") and fn.text(doc=False).endswith("\n}")
               for fn in go)
    assert all(fn.doc and fn.text(doc=False).lstrip().startswith(("def ", "async def ", "@")) for fn in py)
