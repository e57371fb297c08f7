package listing

import (
	"encoding/xml"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// The scanner decodes what osslocal answers exactly as the SDK's
// ListObjectsV2 does, page by page, for keys that need escaping.
func TestListObjectsV2MatchesSDK(t *testing.T) {
	bucket := testBucket(t)
	keys := []string{"a&b<c>'d\"e", "dir/sub/x.log", "dir/y z+%20.txt", "dir/ünï/çødé", "plain", "tab\tkey", "dir/&amp;literal"}
	for _, k := range keys {
		if err := bucket.PutObject(k, strings.NewReader("data of "+k)); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range [][]oss.Option{
		{oss.MaxKeys(2)},
		{oss.MaxKeys(1000)},
		{oss.MaxKeys(2), oss.Delimiter("/")},
		{oss.MaxKeys(1000), oss.Prefix("dir/"), oss.Delimiter("/")},
	} {
		var token string
		for page := 0; ; page++ {
			opts := append([]oss.Option{}, q...)
			if token != "" {
				opts = append(opts, oss.ContinuationToken(token))
			}
			want, err := bucket.ListObjectsV2(opts...)
			if err != nil {
				t.Fatal(err)
			}
			got, err := listObjectsV2(bucket, append([]oss.Option{}, opts...))
			if err != nil {
				t.Fatal(err)
			}
			// The scanner itself, not its encoding/xml fallback, reads
			// osslocal's answers.
			raw := rawListV2(t, bucket, append([]oss.Option{}, opts...))
			if _, err := scanListV2(raw); err != nil {
				t.Fatalf("page %d of %v: the scanner: %v on %s", page, q, err, raw)
			}
			// Owner, RestoreInfo and the XML names are not decoded: ossls
			// does not show them.
			for i := range want.Objects {
				want.Objects[i].XMLName = xml.Name{}
				want.Objects[i].Owner = oss.Owner{}
				want.Objects[i].RestoreInfo = ""
			}
			want.XMLName = got.XMLName
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("page %d of %v:\n got %+v\nwant %+v", page, q, got, want)
			}
			if !want.IsTruncated {
				break
			}
			token = want.NextContinuationToken
		}
	}
}

// rawListV2 is the body of the ListObjectsV2 answer listObjectsV2 decodes.
func rawListV2(t *testing.T, bucket *oss.Bucket, opts []oss.Option) []byte {
	t.Helper()
	opts = append(opts, oss.EncodingType("url"), oss.ListType(2))
	params, err := oss.GetRawParams(opts)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := bucket.Do("GET", "", params, opts, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestDecodeListV2(t *testing.T) {
	const doc = `<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://doc.oss-cn-hangzhou.aliyuncs.com">
  <Name>b</Name><Prefix>p%2F</Prefix><MaxKeys>2</MaxKeys><EncodingType>url</EncodingType>
  <IsTruncated>true</IsTruncated><NextContinuationToken>tok%2B1</NextContinuationToken>
  <Contents>
    <Key>p%2Fa%26b</Key><LastModified>2026-11-21T11:36:41.000Z</LastModified>
    <ETag>&quot;5B3C1A2E053D763E1B002CC607C5A0FE&quot;</ETag><Type>Normal</Type><Size>344606</Size>
    <StorageClass>Standard</StorageClass><Owner><ID>1</ID><DisplayName>1</DisplayName></Owner><RestoreInfo/>
  </Contents>
  <CommonPrefixes><Prefix>p%2Fdir%2F</Prefix></CommonPrefixes>
</ListBucketResult>`
	want := oss.ListObjectsResultV2{
		Prefix: "p/", MaxKeys: 2, IsTruncated: true, NextContinuationToken: "tok+1",
		Objects: []oss.ObjectProperties{{
			Key: "p/a&b", Type: "Normal", Size: 344606, ETag: `"5B3C1A2E053D763E1B002CC607C5A0FE"`,
			LastModified: time.Date(2026, 11, 21, 11, 36, 41, 0, time.UTC), StorageClass: "Standard",
		}},
		CommonPrefixes: []string{"p/dir/"},
	}
	got, err := decodeListV2([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("scanner:\n got %+v\nwant %+v", got, want)
	}
	// Character references, as Go's encoding/xml writes quotes (osslocal's
	// ETags), are the scanner's.
	refs := strings.Replace(doc, "&quot;5B3C", "&#34;5B3C", 1)
	refs = strings.Replace(refs, "A0FE&quot;", "A0FE&#x22;", 1)
	refs = strings.Replace(refs, "<Type>Normal</Type>", "<Type>&#78;orm&#x61;l</Type>", 1)
	got, err = scanListV2([]byte(refs))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("scanner, character references:\n got %+v\nwant %+v", got, want)
	}
	for _, ref := range []string{"&#0;", "&#xD800;", "&#;", "&#x;", "&nbsp;", "&amp"} {
		if _, err := scanListV2([]byte(strings.Replace(doc, "<Type>Normal", "<Type>Normal"+ref, 1))); err != errUnexpectedXML {
			t.Errorf("scanner on %s: %v, want errUnexpectedXML (left to encoding/xml)", ref, err)
		}
	}
	// CDATA goes through encoding/xml, which fills the same fields (and
	// Owner, and the XML name).
	odd := strings.Replace(doc, "<Key>p%2Fa%26b</Key>", "<Key><![CDATA[p%2Fa%26b]]></Key>", 1)
	got, err = decodeListV2([]byte(odd))
	if err != nil {
		t.Fatal(err)
	}
	if o := got.Objects[0]; o.Key != "p/a&b" || o.Type != "Normal" || got.NextContinuationToken != "tok+1" || len(got.CommonPrefixes) != 1 {
		t.Fatalf("encoding/xml fallback: %+v", got)
	}
	for _, bad := range []string{
		"<ListBucketResult><IsTruncated>true</ListBucketResult>",
		"<ListBucketResult><MaxKeys>many</MaxKeys></ListBucketResult>",
		"<ListBucketResult><Contents><Key>%zz</Key></Contents></ListBucketResult>",
		"<ListBucketResult>",
	} {
		if _, err := decodeListV2([]byte(bad)); err == nil {
			t.Errorf("decodeListV2(%q) succeeded", bad)
		}
	}
}

// BenchmarkDecodeListV2 decodes one page of 1000 keys as OSS sends it: the
// scanner ossls uses, and encoding/xml as the SDK's ListObjectsV2 does.
func BenchmarkDecodeListV2(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<ListBucketResult><Name>bench</Name><Prefix>logs%2F</Prefix><MaxKeys>1000</MaxKeys><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated><NextContinuationToken>CgJsb2dz</NextContinuationToken>")
	for i := range 1000 {
		sb.WriteString("<Contents><Key>logs%2F2026%2F01%2F02%2Fhost-07%2Fpart-" + strings.Repeat("0", 3) + strings.TrimLeft(time.Duration(i).String(), "ns") + ".log</Key><LastModified>2026-11-21T11:36:41.000Z</LastModified><ETag>&quot;5B3C1A2E053D763E1B002CC607C5A0FE&quot;</ETag><Type>Normal</Type><Size>344606</Size><StorageClass>Standard</StorageClass><Owner><ID>1</ID><DisplayName>1</DisplayName></Owner></Contents>")
	}
	sb.WriteString("</ListBucketResult>")
	doc := []byte(sb.String())
	b.Run("scanner", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeListV2(doc); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-xml", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		b.ReportAllocs()
		for b.Loop() {
			var out oss.ListObjectsResultV2
			if err := xml.Unmarshal(doc, &out); err != nil {
				b.Fatal(err)
			}
			if err := unescapeListV2(&out); err != nil {
				b.Fatal(err)
			}
		}
	})
}
