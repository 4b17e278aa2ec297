package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/AlecAivazis/survey/v2"
	"github.com/AlecAivazis/survey/v2/core"
	"github.com/AlecAivazis/survey/v2/terminal"
	"golang.org/x/term"

	"github.com/mcpgen/mcpgen/generator"
)

// Prompter asks the user for values. Commands depend on this interface only, so the
// prompt library (survey, archived upstream) stays in this file and can be replaced,
// and tests can drive commands with any implementation.
type Prompter interface {
	// Input asks for a line of text. An empty answer yields def. validate, when not nil,
	// runs on every answer (default included, surrounding space trimmed); a rejected
	// answer is shown with the error and asked again.
	Input(msg, def, help string, validate func(string) error) (string, error)
	// Select asks for one of options; def must be one of them.
	Select(msg string, options []string, def, help string) (string, error)
	// Confirm asks a yes/no question.
	Confirm(msg string, def bool, help string) (bool, error)
}

// ask asks q with p and gives the answer to q.
func ask(p Prompter, q generator.Question) error {
	var answer string
	var err error
	switch {
	case q.YesNo:
		var yes bool
		yes, err = p.Confirm(q.Message, q.Default == "true", q.Help)
		answer = strconv.FormatBool(yes)
	case q.Options != nil:
		answer, err = p.Select(q.Message, q.Options, q.Default, q.Help)
	default:
		answer, err = p.Input(q.Message, q.Default, q.Help, q.Validate)
	}
	if err != nil {
		return err
	}
	q.Answer(answer)
	return nil
}

// errInterrupted is returned when the user stops a prompt with Ctrl-C or closes input.
var errInterrupted = errors.New("interrupted; nothing was written")

// terminalPrompter returns a survey Prompter when stdin is a terminal and there is a
// terminal to draw prompts on, else nil. Prompts go to stderr when it is a terminal so
// that `mcpgen new … > log` still shows them; survey needs a real terminal on both
// sides because it queries the cursor position and switches the input to raw mode.
func terminalPrompter(stdin io.Reader, stdout, stderr io.Writer) Prompter {
	in, ok := stdin.(*os.File)
	if !ok || !term.IsTerminal(int(in.Fd())) {
		return nil
	}
	for _, w := range []io.Writer{stderr, stdout} {
		if out, ok := w.(*os.File); ok && term.IsTerminal(int(out.Fd())) {
			return newSurveyPrompter(in, out)
		}
	}
	return nil
}

// surveyPrompter implements Prompter with survey/v2 on explicit streams (survey.WithStdio),
// which is also how tests attach it to a pseudo-terminal.
type surveyPrompter struct {
	in  terminal.FileReader
	out terminal.FileWriter
}

func newSurveyPrompter(in terminal.FileReader, out terminal.FileWriter) *surveyPrompter {
	if _, ok := os.LookupEnv("NO_COLOR"); ok { // https://no-color.org
		core.DisableColor = true
	}
	return &surveyPrompter{in: in, out: out}
}

func (p *surveyPrompter) ask(q survey.Prompt, answer any, opts ...survey.AskOpt) error {
	opts = append(opts, survey.WithStdio(p.in, p.out, p.out))
	err := survey.AskOne(q, answer, opts...)
	if errors.Is(err, terminal.InterruptErr) || errors.Is(err, io.EOF) {
		return errInterrupted
	}
	if err != nil {
		return fmt.Errorf("prompt: %w", err)
	}
	return nil
}

// Input implements Prompter.
func (p *surveyPrompter) Input(msg, def, help string, validate func(string) error) (string, error) {
	var opts []survey.AskOpt
	if validate != nil {
		opts = append(opts, survey.WithValidator(func(v any) error {
			s, _ := v.(string)
			return validate(strings.TrimSpace(s))
		}))
	}
	var answer string
	if err := p.ask(&survey.Input{Message: msg, Default: def, Help: help}, &answer, opts...); err != nil {
		return "", err
	}
	return strings.TrimSpace(answer), nil
}

// Select implements Prompter.
func (p *surveyPrompter) Select(msg string, options []string, def, help string) (string, error) {
	var answer string
	// Every option on one page: a list that scrolls hides choices from the user.
	q := &survey.Select{Message: msg, Options: options, Default: def, Help: help, PageSize: len(options)}
	if err := p.ask(q, &answer); err != nil {
		return "", err
	}
	return answer, nil
}

// Confirm implements Prompter.
func (p *surveyPrompter) Confirm(msg string, def bool, help string) (bool, error) {
	var answer bool
	if err := p.ask(&survey.Confirm{Message: msg, Default: def, Help: help}, &answer); err != nil {
		return false, err
	}
	return answer, nil
}
