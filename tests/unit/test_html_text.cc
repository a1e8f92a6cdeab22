#include <catch2/catch.hpp>

#include "mail/html_text.h"

using guichet::mail::decode_html_entities;
using guichet::mail::html_to_text;

TEST_CASE("paragraphs, line breaks and lists", "[html]") {
  CHECK(html_to_text("<p>Bonjour,</p><p>Ligne 1<br>Ligne 2</p>") == "Bonjour,\n\nLigne 1\nLigne 2");
  CHECK(html_to_text("<ul><li>un</li><li>deux</li></ul>") == "- un\n- deux");
  CHECK(html_to_text("<div>a</div><div>b</div>") == "a\nb");
  CHECK(html_to_text("a<br><br>b") == "a\n\nb");
}

TEST_CASE("links are kept as text", "[html]") {
  CHECK(html_to_text("<a href=\"https://x.fr/p\">la carte</a>") == "la carte <https://x.fr/p>");
  CHECK(html_to_text("<a href='https://x.fr'>https://x.fr</a>") == "https://x.fr");
  CHECK(html_to_text("<a href=\"mailto:a@b.fr\">a@b.fr</a>") == "a@b.fr");
}

TEST_CASE("entities are decoded", "[html]") {
  CHECK(decode_html_entities("&eacute;t&eacute; &amp; &#233;&#xE9; &euro;&nbsp;&oelig;") == "été & éé €\xC2\xA0œ");
  CHECK(decode_html_entities("&#146;") == "’");  // Word's windows-1252 reference
  CHECK(decode_html_entities("&unknown; & &#;") == "&unknown; & &#;");
  CHECK(html_to_text("caf&eacute;&nbsp;cr&egrave;me") == "café crème");
}

TEST_CASE("scripts, styles, heads and comments are dropped", "[html]") {
  CHECK(html_to_text("<html><head><title>T</title><style>p{}</style></head><body><script>x()</script>"
                     "Texte<!-- cach\xC3\xA9 --></body></html>") == "Texte");
  CHECK(html_to_text("<SCRIPT type=x>a<b>c</SCRIPT>ok") == "ok");
}

TEST_CASE("broken HTML never fails", "[html]") {
  CHECK(html_to_text("a < b et c > d") == "a < b et c > d");
  CHECK(html_to_text("<p>unterminated <b") == "unterminated <b");
  CHECK(html_to_text("<script>never closed").empty());
  CHECK(html_to_text("").empty());
}
