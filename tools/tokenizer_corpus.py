"""The text corpus of the tokenizer golden tests: deterministic, at least 2,000 strings, covering what an
aggregator reads (math word problems and worked solutions, LaTeX, code, many scripts, emoji) and the
corners of the Qwen2 pre-tokenizer and of NFC (whitespace runs, digits, contractions, combining marks,
odd but valid Unicode, added-token strings). Used by tools/gen-tokenizer-fixtures and
tools/bench-tokenizer."""
import json
import os
import random

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
# the dev data (../shared/data/), as the repository holds it for the tests
GSM8K = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Tests", "SSAKitTests", "Fixtures", "aggregation", "gsm8k-samples-dev.jsonl")

SPECIAL_TOKENS = [
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>",
    "<|box_start|>", "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>", "<|vision_end|>",
    "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>", "<tool_call>", "</tool_call>", "<|fim_prefix|>",
    "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>",
]

SSA_PROMPT = (
    "A conversation between User and Assistant. The user provide a question and some proposed answers. "
    "The Assistant first evaluate each answers individually,check whether each answer directly addresses "
    "the original question, assess the correctness of each answer based on logical reasoning, calculations, "
    "and accuracy relative to the question. After thorough evaluation, identify one correct answer. If the "
    "correct answer is not in the provided proposed answers, the Assistant will combine the correct answer "
    "with the proposed answers and provide the correct answer.The reasoning process and answer are enclosed "
    "within <think></think> and <answer></answer> tags, respectively, i.e., <think>reasoning process "
    "here</think> <answer>answer here</answer>. User: {U}. Assistant: <think>"
)


def gsm8k_records():
    with open(GSM8K) as f:
        return [json.loads(line) for line in f]


def user_content(record):
    parts = [f"Question: {record['question']}\n\nBelow are the proposed answers:"]
    for i, s in enumerate(record["samples"], 1):
        parts.append(f"Answer {i}:\n{s}")
    return "\n\n".join(parts)


def math_texts():
    out = []
    records = gsm8k_records()
    for r in records:
        out.append(r["question"])
        out.extend(r["samples"][:2])
    for r in records[:8]:
        out.append(SSA_PROMPT.replace("{U}", user_content(r)))
    return out


def latex_texts(rng):
    fixed = [
        r"\frac{a}{b}", r"\frac{1}{2}", r"\dfrac{3}{4}", r"\tfrac12", r"\boxed{}", r"\boxed{42}",
        r"The answer is $\boxed{18}$.", r"$x^2 + y^2 = z^2$", r"$$\int_0^1 x\,dx = \frac{1}{2}$$",
        r"\sqrt{2}", r"\sqrt[3]{27} = 3", r"\left( \frac{1}{2} \right)^{10}", r"$\pi r^2$",
        r"\begin{align} a &= b + c \\ d &= e \end{align}", r"\text{dollars}", r"$5\times 3 = 15$",
        r"$a \le b \ge c \neq d$", r"90^\circ", r"$\mathbb{R}^n$", r"\{1, 2, 3\}", r"$\lfloor x \rfloor$",
        r"\sum_{i=1}^{n} i = \frac{n(n+1)}{2}", r"$\binom{n}{k}$", r"\(x+1\)", r"\[x-1\]",
        r"$$\begin{pmatrix} 1 & 0 \\ 0 & 1 \end{pmatrix}$$", r"\$5.00", r"$-\frac{\sqrt{3}}{2}$",
        r"\overline{AB}", r"\angle ABC = 60^{\circ}", r"$\log_2 8 = 3$", r"$e^{i\pi} + 1 = 0$",
        r"\boxed{\frac{7}{3}}", r"\textbf{Step 1:}", r"$\{x \mid x > 0\}$", r"$a_{n+1} = 2a_n$",
        "$$\n\\frac{d}{dx} x^n = n x^{n-1}\n$$", r"\\\\", r"\\", r"\\\\\\",
    ]
    out = list(fixed)
    ops = [r"\cdot", r"\times", "+", "-", "=", r"\div", r"\pm"]
    for _ in range(110):
        a, b, c = rng.randint(0, 9999), rng.randint(1, 999), rng.randint(0, 99)
        kind = rng.randrange(6)
        if kind == 0:
            out.append(f"\\frac{{{a}}}{{{b}}} {rng.choice(ops)} {c} = \\boxed{{{a // b + c}}}")
        elif kind == 1:
            out.append(f"${a} {rng.choice(ops)} {b} = {a + b}$")
        elif kind == 2:
            out.append(f"So the total is $\\${a}.{c:02d}$, i.e. \\boxed{{{a}}}.")
        elif kind == 3:
            out.append(f"\\sqrt{{{a}}}\\approx {a ** 0.5:.4f}")
        elif kind == 4:
            out.append(f"$$x_{{{c}}} = \\frac{{-b \\pm \\sqrt{{b^2-4ac}}}}{{2a}}$$ with $a={a}$, $b={b}$")
        else:
            out.append(f"\\left\\lbrace {a}, {b}, {c} \\right\\rbrace^{{{c}}}_{{{b}}}")
    return out


CODE = [
    "def add(a, b):\n    return a + b\n",
    "def fib(n: int) -> int:\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n",
    "class Stack:\n    def __init__(self):\n        self._items = []\n\n    def push(self, x):\n        self._items.append(x)\n\n    def pop(self):\n        return self._items.pop()\n",
    "import numpy as np\nx = np.arange(10, dtype=np.float32)\nprint(f\"{x.mean():.3f} {x.std()!r}\")\n",
    "if __name__ == '__main__':\n\tmain()\n",
    "lambda x: x**2 if x % 2 == 0 else -x  # squares of evens",
    "#include <stdio.h>\n\nint main(int argc, char **argv) {\n    printf(\"Hello, %s!\\n\", argv[0]);\n    return 0;\n}\n",
    "static inline float dot(const float *a, const float *b, int n) {\n\tfloat s = 0.0f;\n\tfor (int i = 0; i < n; ++i) s += a[i] * b[i];\n\treturn s;\n}\n",
    "template <typename T>\nstd::vector<T> twice(const std::vector<T>& v) {\n  std::vector<T> out;\n  for (auto& x : v) { out.push_back(x); out.push_back(x); }\n  return out;\n}\n",
    "public final class Tokenizer {\n  private var cache: [String: [Int]] = [:]\n\n  public func encode(_ text: String) -> [Int] {\n    guard !text.isEmpty else { return [] }\n    return text.utf8.map { Int($0) }\n  }\n}\n",
    "let xs = [1, 2, 3].map { $0 * 2 }.filter { $0 > 2 }\nprint(xs)\n",
    "fn main() {\n    let v: Vec<u32> = (0..10).collect();\n    println!(\"{:?}\", v.iter().sum::<u32>());\n}\n",
    "impl<'a> Iterator for Words<'a> {\n    type Item = &'a str;\n    fn next(&mut self) -> Option<Self::Item> { None }\n}\n",
    "function debounce(fn, ms) {\n  let t;\n  return (...args) => {\n    clearTimeout(t);\n    t = setTimeout(() => fn(...args), ms);\n  };\n}\n",
    "const obj = { a: 1, 'b-c': [2, 3], d: null };\nconsole.log(JSON.stringify(obj, null, 2));\n",
    "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfor i := 0; i < 3; i++ {\n\t\tfmt.Println(i)\n\t}\n}\n",
    "public static void main(String[] args) {\n    System.out.println(\"sum = \" + IntStream.range(0, 10).sum());\n}\n",
    "SELECT name, COUNT(*) AS n\nFROM orders o\nJOIN users u ON u.id = o.user_id\nWHERE o.total > 100.00\nGROUP BY name\nORDER BY n DESC;\n",
    "<!DOCTYPE html>\n<html>\n  <body>\n    <p class=\"note\">Hello &amp; welcome</p>\n  </body>\n</html>\n",
    "#!/usr/bin/env bash\nset -euo pipefail\nfor f in *.txt; do\n  wc -l \"$f\"\ndone\n",
    "{\n  \"name\": \"ssa\",\n  \"version\": \"0.1.0\",\n  \"tags\": [\"math\", \"llm\"],\n  \"ok\": true\n}\n",
    "key: value\nlist:\n  - one\n  - two\nnested:\n  deep: 3.14\n",
    "main :: IO ()\nmain = mapM_ print [x * y | x <- [1..3], y <- [1..3]]\n",
    "x <- c(1, 2, 3)\nmean(x)\n",
    "    \n\t\n  # indented comment with trailing spaces   \n",
    "a=1;b=2;c=a+b;print(c)",
    "for (i in 1:10) { if (i %% 2 == 0) next; print(i) }",
    "    return x\n\n\n\n    # end\n",
    "diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ -1,3 +1,3 @@\n-print('a')\n+print('b')\n",
    "/* multi\n * line\n */\n// single line\n",
    "@main\nstruct App {\n  static func main() async throws {\n    try await run()\n  }\n}\n",
    "x = [[1, 2], [3, 4]]; y = {k: v for k, v in zip('ab', x)}",
    "print('It\\'s', \"quoted\", '''triple''', r'\\d+\\s*')",
    "re.compile(r\"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+\")",
    "0x1F600 0b1010 0o777 1_000_000 3.14e-10 .5 5. 1e9",
    "a->b; c::d; e=>f; g!=h; i<=j; k>=l; m&&n; o||p; q<<r; s>>t; u**v; w//x; y%=z;",
    "    if x:\r\n        y = 1\r\n    else:\r\n        y = 2\r\n",
]


def code_texts():
    out = []
    for snippet in CODE:
        out.append(snippet)
        out.append(snippet.replace("    ", "\t"))
        out.append(snippet.replace("\n", "\r\n"))
        out.append(snippet.replace("\n", "  \n"))
    return out


SCRIPTS = [
    "我想在apple工作1314151天～", "你好，世界！今天是2024年1月1日。", "人工智能正在改变世界。",
    "这个问题的答案是：\\boxed{12}。", "小明有5个苹果，吃了2个，还剩几个？答：3个。",
    "東京は日本の首都です。カタカナとひらがな。", "ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３！？", "「引用」『二重』【括弧】",
    "안녕하세요, 세계! 한국어 텍스트입니다.", "대한민국 123 서울특별시",
    "مرحبا بالعالم! هذا نص عربي.", "السَّلَامُ عَلَيْكُمْ وَرَحْمَةُ اللهِ", "الرقم ١٢٣٤٥ باللغة العربية",
    "שָׁלוֹם עוֹלָם", "سلام دنیا ۱۲۳", "नमस्ते दुनिया! हिन्दी पाठ।", "क्षत्रिय द्वारा प्रस्तुत",
    "สวัสดีชาวโลก ภาษาไทย", "வணக்கம் உலகம்", "হ্যালো বিশ্ব", "ሰላም ልዑል", "გამარჯობა მსოფლიო",
    "Привет, мир! Это русский текст.", "нещо на Български", "Γειά σου Κόσμε! ά έ ή ί ό ύ ώ ΐ ΰ",
    "Tiếng Việt có dấu: ả ạ ầ ẩ ẫ ậ ắ ằ ẳ ẵ ặ ố ồ ổ ỗ ộ", "Ελληνικά και English mixed 混合 テキスト",
    "Ünïcödé çàfé naïve résumé façade coöperate", "Straße ſtraße ß ẞ", "İstanbul ıi Iİ",
    "Åström Ørsted Æsir œuvre", "Kraków Łódź Gdańsk", "Ἀθῆναι ᾄδω", "ℌ𝔢𝔩𝔩𝔬 𝕎𝕠𝕣𝕝𝕕 𝐁𝐨𝐥𝐝",
    "ኢትዮጵያ ᠮᠣᠩᠭᠣᠯ ꦗꦮ", "𠜎𠜱𠝹𠱓 𪚥 𰻞", "ཀ་ཁ་ག ᜀᜁᜂ ᨀᨁᨂ",
]

EMOJI = [
    "🚀 (normal) 😶\u200d🌫️ (multiple emojis concatenated) ✅ 🦙🦙", "👍🏽 👋🏿 🧑🏻\u200d💻",
    "👨\u200d👩\u200d👧\u200d👦 family", "🏳️\u200d🌈 🏴\u200d☠️", "🇺🇸🇫🇷🇯🇵 flags", "1️⃣ 2️⃣ #️⃣ *️⃣",
    "❤️ ♥ ☺️ ☺", "😀😃😄😁😆😅🤣😂", "🫠 🫨 🪿 🩷", "text🙂text", "🙂 🙂  🙂\n🙂",
    "👩🏽\u200d🤝\u200d👨🏿", "🧔\u200d♀️", "©️ ®️ ™️", "🔢 = 42", "emoji at end 🎉", "🎉 emoji at start",
]

COMBINING = [
    "e\u0301", "cafe\u0301", "a\u0301\u0323", "a\u0323\u0301", "x\u0334\u0301\u0316", "\u0301 leading mark",
    "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324\u031e\u0349\u035a\u032f\u031e\u0320\u034dA\u036b\u0357\u0334\u0362\u0335\u031c\u0330\u0354L\u0368\u0367\u0369\u0358\u0320G\u0311\u0357\u030e\u0305\u035b\u0341\u0334\u033b\u0348\u034d\u0354\u0339O\u0342\u030c\u030c\u0358\u0328\u0335\u0339\u033b\u031d\u0333",
    "\u1100\u1161\u11a8", "\u1112\u1161\u11ab\u1100\u1173\u11af", "\u110b\u1161 \u1102\u1161",
    "\u2126 \u212b \u212a", "\uf900\uf901 \U0002f800", "\u0958\u0959 \u09dc", "\u1e9b\u0323", "\u00c5 A\u030a",
    "o\u0308\u0304 \u022b", "\u0344 \u0340\u0341", "\u0374\u037e\u0387", "\u2000\u2001 en quad em quad",
    "\u0915\u093c \u0929", "n\u0303o\u0303", "\u05e9\u05c1\u05b8", "\u0627\u0653 \u0622",
    "\u3099\u309a \u304b\u3099 \u304c", "\u0e01\u0e34\u0e4a", "\u1b05\u1b35", "\u0b47\u0b3e \u0b4b",
    "\u0cc6\u0cd5\u0cc2", "\u0d46\u0d3e", "i\u0307\u0301", "\u0041\u0300\u0301\u0302\u0303\u0304",
    "q\u0307\u0323", "\U0001d15e\U0001d165", "\u0f73 \u0f75 \u0f81", "\u2adc \u2add\u0338", "\u226e \u003c\u0338",
]

WEIRD = [
    "\ufffe\uffff", "\U0001fffe\U0010ffff", "\ue000\uf8ff", "\U000f0000\U0010fffd", "\ufeffBOM at start",
    "mid\ufeffdle", "zero\u200bwidth\u200bspace", "\u200d\u200c alone", "\u202eRTL override\u202c",
    "\u2066isolate\u2069", "\U000e0001\U000e0065\U000e006e", "\ufe0f\ufe0e", "\ufffd replacement",
    "nul\x00byte", "\x01\x02\x03\x1f\x7f", "\x80\x85\x9f C1", "\u0378\u0379 unassigned", "\U0002ffff",
    "\U000e0080", "\U00031350\U0003134a", "\U0001fae8", "\u00ad soft\u00adhyphen", "\u034f grapheme joiner",
    "\u180e mongolian vowel separator", "\u2060word\u2060joiner", "\u1160\u3164 fillers", "\u115f\u1160",
    "a\u0085b", "a\u2028b\u2029c", "\u000b\u000c vertical tab form feed", "\u00a0\u00a0nbsp",
    "\u3000ideographic\u3000space", "\u1680ogham", "\u202fnarrow\u205fmedium", "ſ 'ſ 'ſt ſs",
    "\ud7ff\ue000", "\U0001f3fb skin tone alone", "\u20e3 keycap alone", "\U0001f1e6 single regional",
    "\u0000", "\u0085", "\u2028", "a\u180eb", "\u061c arabic letter mark", "\u200e\u200f marks",
]

WS = [" ", "\t", "\n", "\r\n", "\r", "\x0b", "\x0c", "\u00a0", "\u3000", "\u2028", "\u0085", "\u2009"]


def whitespace_texts(rng):
    out = ["", " ", "  ", "\n", "\n\n", "\t", "\r\n", "\r", " \n", "\n ", " \t \n ", "\n" * 20,
           " " * 50, "\t" * 9, "\r\n" * 7, "\n\n\n\n\nx", "x\n\n\n\n\n", "x   ", "   x", "x \n y",
           "trailing spaces   \nnext line  \n", "a\tb\t\tc\t\t\td", "a \n\n b", "a\r\rb", "a\n\rb"]
    words = ["x", "word", "42", "!", "(", "'s", "中", "é", "🙂", "\u0301"]
    for _ in range(260):
        parts = []
        for _ in range(rng.randint(1, 4)):
            parts.append(rng.choice(words) if rng.random() < 0.6 else "")
            parts.append("".join(rng.choice(WS) for _ in range(rng.randint(1, 6))))
        if rng.random() < 0.5:
            parts.append(rng.choice(words))
        out.append("".join(parts))
    return out


def number_texts(rng):
    out = ["0", "00", "007", "1234567890", "3.14159265358979", "1,234,567.89", "-42", "+1 (555) 012-3456",
           "1e10", "6.02e23", "v1.2.3", "abc123def", "x1y2z3", "２０２４年", "٣٤٥", "۱۲۳", "१२३", "½ ¼ ¾",
           "x² + y³", "Ⅻ ⅻ", "①②③", "𝟙𝟚𝟛", "3 33 333 3333 33333 333333 3333333 33333333 3.3 3..3 3...3",
           "$1,000,000", "10%", "24/7", "2024-01-01T12:34:56Z", "192.168.0.1", "#### 18"]
    for n in list(range(1, 40)) + [64, 100, 128, 200, 333]:
        out.append("".join(rng.choice("0123456789") for _ in range(n)))
    for _ in range(40):
        out.append(f"{rng.randint(0, 10**rng.randint(1, 18))} {rng.choice(['+', '-', '*', '/'])} "
                   f"{rng.random() * 10**rng.randint(0, 6):.{rng.randint(0, 6)}f}")
    return out


def contraction_texts():
    out = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "'RE", "'VE", "'M", "'LL", "'D", "'Re",
           "'rE", "'lL", "'Ll", "'ſ", "'x", "'", "''", "'''s", "' s", "it's", "IT'S", "It'S", "we're", "WE'RE",
           "you'll", "YOU'LL", "I've", "I'VE", "I'm", "I'M", "he'd", "HE'D", "don't", "DON'T", "can't",
           "rock'n'roll", "O'Neil", "'sand'", "'till", "'mm", "'dd", "'red'", "'vex'", "'llama",
           "I've been 'told he's there, 'RE you sure? 'M not sure I'll make it, 'D you like some tea? We'Ve a'lL",
           "’s typographic apostrophe’s", "''''''```````\"\"\"\"......!!!!!!??????", "'\n's", "\"'s\"",
           "it's 3's 'ss", "l'amour d'accord", "x'sy'tz'rew've"]
    return out


def special_texts(rng):
    out = list(SPECIAL_TOKENS)
    for t in SPECIAL_TOKENS:
        out.append(f"before {t} after")
        out.append(f"x{t}y")
    out += [
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
        "<|im_start|><|im_end|>", "<|im_start|><|im_start|>", "<|endoftext|><|endoftext|><|endoftext|>",
        "<|im_start", "<|im_start|", "im_start|>", "<|im_end|", "<|<|im_end|>|>", "<<|endoftext|>>",
        "< |im_start| >", "<|IM_START|>", "<|im_start|>\n", " <|im_end|> ", "<tool_call>\n{\"name\": \"f\"}\n</tool_call>",
        "<tool_call", "</tool_call", "<|fim_prefix|>def f():<|fim_suffix|>\n<|fim_middle|>", "<|box_start|>(1,2)<|box_end|>",
        "<think>reasoning</think> <answer>18</answer>", "<|endoftext|>\u0301", "e<|im_end|>\u0301",
        "<|", "|>", "<", ">", "|", "<||>", "<|endoftext|>" * 5,
    ]
    for _ in range(40):
        out.append("".join(rng.choice(SPECIAL_TOKENS + ["a", " ", "\n", "<", "|", ">", "é", "12"])
                           for _ in range(rng.randint(2, 8))))
    return out


FUZZ_ALPHABET = (
    list("abcXYZ") + list("0123456789") + [" "] * 6 + ["\t", "\n", "\n", "\r", "\r\n"] + ["'"] * 4
    + list("sStTrReEvVlLmMdD") + list(".,;:!?()[]{}<>|/\\-_=+*&^%$#@~`\"")
    + ["ſ", "\u00a0", "\u3000", "\u0085", "\u2028", "\x0b", "\x0c", "中", "文", "ア", "한", "ب", "ع", "\u064e",
       "\u0301", "\u0308", "é", "ß", "İ", "Ω", "\u2126", "🙂", "👍", "🏽", "\u200d", "\ufe0f", "٣", "²", "½",
       "\u1100", "\u1161", "\u11a8", "\ufeff", "\u200b", "<|im_end|>", "<|endoftext|>", "<tool_call>"]
)


def fuzz_texts(rng, count):
    return ["".join(rng.choice(FUZZ_ALPHABET) for _ in range(rng.randint(1, 60))) for _ in range(count)]


def single_characters():
    out = [chr(c) for c in range(0x20, 0x7F)]
    out += [chr(c) for c in range(0x00, 0x20)] + [chr(c) for c in range(0xA0, 0x180, 3)]
    return out


def long_texts():
    """Words longer than the BPE's linear-scan limit, so the heap path is checked too."""
    return ["a" * 300, "ab" * 200, "abc" * 101, "=" * 100, "-" * 257, " " * 1000, "\n" * 500, "\t" * 70,
            " " * 65 + "x", "x" + " " * 65, "é" * 100, "中文" * 60, "🙂" * 40,
            "Donaudampfschifffahrtsgesellschaftskapitänswitwenrentenversicherungsanstaltsangestellter",
            "aGVsbG8gd29ybGQgdGhpcyBpcyBhIGxvbmcgYmFzZTY0IHN0cmluZyB0aGF0IGtlZXBzIGdvaW5nIGFuZCBnb2luZw==",
            "https://example.com/a/very/long/path/with/many/segments?and=query&params=1#fragment",
            "Supercalifragilisticexpialidocious" * 4, "ſ" * 80, "'" * 90, "\u0301" * 70,
            "ThisIsACamelCaseIdentifierThatGoesOnAndOnWithoutAnySpacesAtAllToTestLongWords"]


def corpus():
    """[(category, text)], in a fixed order."""
    rng = random.Random(20240611)
    groups = [
        ("math", math_texts()), ("latex", latex_texts(rng)), ("code", code_texts()), ("scripts", SCRIPTS),
        ("emoji", EMOJI), ("combining", COMBINING), ("weird", WEIRD), ("whitespace", whitespace_texts(rng)),
        ("numbers", number_texts(rng)), ("contractions", contraction_texts()), ("special", special_texts(rng)),
        ("single", single_characters()), ("long", long_texts()), ("fuzz", fuzz_texts(rng, 500)),
    ]
    return [(name, text) for name, texts in groups for text in texts]


def mixed_text(size, seed=7):
    """About `size` bytes of mixed text for the benchmark: worked math solutions, LaTeX, code, other
    scripts and emoji, in shuffled documents (so that not everything is a cache hit)."""
    rng = random.Random(seed)
    records = gsm8k_records()
    pieces = []
    pool = [t for _, t in corpus()]
    total = 0
    while total < size:
        r = rng.random()
        if r < 0.45:
            rec = rng.choice(records)
            doc = user_content(rec)
        elif r < 0.6:
            doc = "\n".join(rng.choice(latex_texts(rng)) for _ in range(10))
        elif r < 0.85:
            doc = "\n".join(rng.choice(CODE) for _ in range(5))
        else:
            doc = " ".join(rng.choice(SCRIPTS + EMOJI + pool[-600:]) for _ in range(12))
        # Vary numbers so that the text is not one repeated block.
        doc = "".join(str(rng.randint(0, 9)) if ch.isdigit() and rng.random() < 0.5 else ch for ch in doc)
        pieces.append(doc)
        total += len(doc.encode())
    return "\n\n".join(pieces)
