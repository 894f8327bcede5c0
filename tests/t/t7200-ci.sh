#!/bin/sh
test_description='CI: JUnit XML from compare, the index page across jobs'
. "$(dirname "$0")/test-lib.sh"

# Run directories made by hand (nothing is measured here): six runs per
# side with the goodput and CPU given, 1% of noise.
fake_runs() {
	python3 - "$@" <<-\PY
	import json, os, random, sys
	side, gbps, cpu, seed = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
	random.seed(seed)
	for i in range(6):
	    rid = "2026-01-01T00000%d-bulk-%s" % (i, side)
	    d = os.path.join(side, rid)
	    os.makedirs(d)
	    json.dump({"run_id": rid, "status": "complete",
	               "started_utc": "2026-01-01T00:00:0%dZ" % i}, open(d + "/run.json", "w"))
	    g = gbps * 1e9 * (1 + random.uniform(-0.01, 0.01))
	    c = cpu * (1 + random.uniform(-0.01, 0.01))
	    json.dump({"goodput_bps": g, "cpu_util_pct": c, "cpu_pct_per_gbps": c / (g / 1e9)},
	              open(d + "/summary.json", "w"))
	PY
}

# The JUnit format as CI servers read it (Ant's report, as Jenkins' and
# GitLab's parsers take it): the required elements and attributes.
cat >junit.xsd <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:complexType name="outcome" mixed="true">
    <xs:attribute name="message" type="xs:string"/>
    <xs:attribute name="type" type="xs:string"/>
  </xs:complexType>
  <xs:element name="testsuites">
    <xs:complexType>
      <xs:sequence>
        <xs:element ref="testsuite" minOccurs="0" maxOccurs="unbounded"/>
      </xs:sequence>
      <xs:attribute name="name" type="xs:string"/>
      <xs:attribute name="tests" type="xs:nonNegativeInteger"/>
      <xs:attribute name="failures" type="xs:nonNegativeInteger"/>
      <xs:attribute name="errors" type="xs:nonNegativeInteger"/>
      <xs:attribute name="time" type="xs:decimal"/>
    </xs:complexType>
  </xs:element>
  <xs:element name="testsuite">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="properties" minOccurs="0">
          <xs:complexType>
            <xs:sequence>
              <xs:element name="property" minOccurs="0" maxOccurs="unbounded">
                <xs:complexType>
                  <xs:attribute name="name" type="xs:string" use="required"/>
                  <xs:attribute name="value" type="xs:string" use="required"/>
                </xs:complexType>
              </xs:element>
            </xs:sequence>
          </xs:complexType>
        </xs:element>
        <xs:element name="testcase" minOccurs="0" maxOccurs="unbounded">
          <xs:complexType>
            <xs:sequence>
              <xs:choice minOccurs="0">
                <xs:element name="failure" type="outcome"/>
                <xs:element name="error" type="outcome"/>
                <xs:element name="skipped" type="outcome"/>
              </xs:choice>
              <xs:element name="system-out" type="xs:string" minOccurs="0"/>
              <xs:element name="system-err" type="xs:string" minOccurs="0"/>
            </xs:sequence>
            <xs:attribute name="name" type="xs:string" use="required"/>
            <xs:attribute name="classname" type="xs:string" use="required"/>
            <xs:attribute name="time" type="xs:decimal" use="required"/>
          </xs:complexType>
        </xs:element>
        <xs:element name="system-out" type="xs:string" minOccurs="0"/>
        <xs:element name="system-err" type="xs:string" minOccurs="0"/>
      </xs:sequence>
      <xs:attribute name="name" type="xs:string" use="required"/>
      <xs:attribute name="tests" type="xs:nonNegativeInteger" use="required"/>
      <xs:attribute name="failures" type="xs:nonNegativeInteger" use="required"/>
      <xs:attribute name="errors" type="xs:nonNegativeInteger" use="required"/>
      <xs:attribute name="skipped" type="xs:nonNegativeInteger"/>
      <xs:attribute name="time" type="xs:decimal" use="required"/>
      <xs:attribute name="timestamp" type="xs:dateTime" use="required"/>
      <xs:attribute name="hostname" type="xs:string" use="required"/>
      <xs:attribute name="id" type="xs:string"/>
      <xs:attribute name="package" type="xs:string"/>
    </xs:complexType>
  </xs:element>
</xs:schema>
EOF

# The counts in the suite's attributes agree with its test cases.
counts_agree() {
	python3 - "$1" <<-\PY
	import sys, xml.etree.ElementTree as ET
	root = ET.parse(sys.argv[1]).getroot()
	assert root.tag == "testsuites", root.tag
	for s in root.iter("testsuite"):
	    cases = s.findall("testcase")
	    assert int(s.get("tests")) == len(cases), (s.get("tests"), len(cases))
	    for kind, attr in (("failure", "failures"), ("error", "errors"), ("skipped", "skipped")):
	        n = sum(1 for c in cases if c.find(kind) is not None)
	        assert int(s.get(attr)) == n, (attr, s.get(attr), n)
	    for c in cases:
	        for kind in ("failure", "error", "skipped"):
	            e = c.find(kind)
	            assert e is None or e.get("message"), (c.get("name"), kind)
	PY
}

test_expect_success 'compare --junit: a failure per BAD gate, the interval in the message (acceptance)' '
	fake_runs a 10 40 1 && fake_runs b 8 40 2 &&
	test_exit_code 1 perflab compare --junit bad.xml a b >out &&
	xmllint --noout --schema junit.xsd bad.xml &&
	counts_agree bad.xml &&
	grep -q "<testsuite name=\"compare\" .*tests=\"3\" failures=\"2\" errors=\"0\"" bad.xml &&
	grep -q "<testcase name=\"goodput\" classname=\"perflab.compare\"" bad.xml &&
	grep -q "<failure type=\"BAD\" message=\"BAD: goodput B/A 0\.[78][0-9]* \[0\.[0-9]*, 0\.[0-9]*\] at [0-9.]*% confidence, threshold -3.0%" bad.xml &&
	grep -q "<failure type=\"BAD\" message=\"BAD: cpu_per_gbit B/A 1\.[0-9]*" bad.xml &&
	! grep -q "<testcase name=\"cpu\".*" bad.xml -A1 | grep -q failure
'

test_expect_success 'compare --junit: GOOD passes, INCONCLUSIVE is skipped' '
	fake_runs c 10 40 3 &&
	test_exit_code 0 perflab compare --junit good.xml a c >out &&
	xmllint --noout --schema junit.xsd good.xml && counts_agree good.xml &&
	grep -q "tests=\"3\" failures=\"0\" errors=\"0\" skipped=\"0\"" good.xml &&
	fake_runs d 9.95 40 4 &&
	test_exit_code 2 perflab compare --threshold goodput=-1% --junit inc.xml a d >out &&
	xmllint --noout --schema junit.xsd inc.xml && counts_agree inc.xml &&
	grep -q "<skipped message=\"INCONCLUSIVE: goodput" inc.xml
'

test_expect_success 'a JUnit file that cannot be written is fatal, the verdict printed anyway' '
	test_exit_code 128 perflab compare --junit /nonexistent/dir/x.xml a b >out 2>err &&
	grep -q "^BAD" out && grep -q "cannot write the JUnit report" err
'

# Nights of two jobs and two bisections, one open, one answered.
test_expect_success 'report --index: every job'"'"'s nights and every bisection on one page' '
	mkdir -p res && perflab history --rebuild --results res >/dev/null &&
	for n in 1 2 3; do
		for job in net web; do
			v=GOOD; test $n = 3 && test $job = net && v=BAD
			sqlite3 res/.history.sqlite "INSERT INTO nightly (job, job_name, date, commit_id, verdict, range_good, range_bad, recorded_utc)
				VALUES ('\''jobs/$job.job'\'', '\''$job'\'', '\''2026-01-0$n'\'', '\''${n}00000000000000000000000000000000000000$n'\'', '\''$v'\'',
				'\''200000000000000000000000000000000000002'\'', '\''300000000000000000000000000000000000003'\'', '\''2026-01-0${n}T03:00:00Z'\'')" || return 1
		done
	done &&
	mkdir -p res/bisect/b1 res/bisect/b2 &&
	printf "{\"id\":\"b1\",\"repo\":\"/r\",\"job\":\"jobs/net.job\",\"manual\":false,\"bad\":\"3000000000000000000000000000000000000003\"}" >res/bisect/b1/state.json &&
	printf "{\"id\":\"b2\",\"repo\":\"/r\",\"job\":\"jobs/web.job\",\"manual\":true,\"bad\":\"4000000000000000000000000000000000000004\"}" >res/bisect/b2/state.json &&
	echo b2 >res/bisect/CURRENT &&
	perflab report --index res >out &&
	grep -q "^report: res/index.html$" out &&
	grep -q "job net: the last 7 nights" res/index.html &&
	grep -q "job web: the last 7 nights" res/index.html &&
	grep -q "200000000000..300000000000" res/index.html &&
	grep -q "open (current)" res/index.html &&
	grep -q ">b1<" res/index.html &&
	! grep -q "<script\|https\?://" res/index.html &&
	perflab report --index res --text >idx.txt &&
	grep -q "^  2026-01-03  *300000000000  *BAD  *200000000000..300000000000" idx.txt &&
	grep -q "^  b2  *jobs/web.job  *manual  *400000000000  *open (current)" idx.txt &&
	test_exit_code 129 perflab report --index res a &&
	test_exit_code 1 perflab report --index nosuchdir
'

test_done
