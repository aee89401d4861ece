package tokenizer_test

import (
	"fmt"

	"sumi/tokenizer"
)

func ExampleTokenizer_SDXL() {
	tok := tokenizer.New()
	rows, err := tok.SDXL("(masterpiece:1.2), 1girl", tokenizer.Options{})
	if err != nil {
		panic(err)
	}
	fmt.Println(len(rows.L), "chunk of", len(rows.L[0]), "tokens")
	for _, t := range rows.L[0][:6] {
		text, _ := tok.Text(t.ID)
		fmt.Println(t.ID, text, t.Weight)
	}
	fmt.Println("padding: L", rows.L[0][76].ID, "G", rows.G[0][76].ID)
	// Output:
	// 1 chunk of 77 tokens
	// 49406 <|startoftext|> 1
	// 12066 masterpiece 1.2
	// 267 , 1
	// 272 1 1
	// 1611 girl 1
	// 49407 <|endoftext|> 1
	// padding: L 49407 G 0
}

func ExampleTokenizer_Encode() {
	fmt.Println(tokenizer.New().Encode("Hello, world!"))
	// Output: [3306 267 1002 256]
}
