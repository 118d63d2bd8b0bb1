// A search field that reports its text once typing pauses, so each keystroke is not a request.
import { useEffect, useRef, useState } from 'react';

export function SearchBox({ label, value, onChange, placeholder }: { label: string; value: string; onChange(value: string): void; placeholder?: string }) {
  const [text, setText] = useState(value);
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;
  useEffect(() => setText(value), [value]);
  useEffect(() => {
    if (text === value) return;
    const timer = setTimeout(() => onChangeRef.current(text), 300);
    return () => clearTimeout(timer);
  }, [text, value]);
  return (
    <label className="search-box">
      {label}
      <input type="search" value={text} placeholder={placeholder} onChange={(e) => setText(e.target.value)} />
    </label>
  );
}
