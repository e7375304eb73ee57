/**
 * The one stylesheet of the dashboard and the admin console, served by the app itself: the CSP allows
 * styles from 'self' only and no inline style, so nothing here may move into the HTML.
 */
export const PAGE_STYLESHEET = `*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;background:#f4f5f7}
a{color:#1d4f91}
a:focus,button:focus,input:focus,select:focus,main:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}
.skip-link{position:absolute;left:-999px;top:0;padding:.5rem 1rem;background:#fff;z-index:1}
.skip-link:focus{left:1rem}
.banner{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;justify-content:space-between;padding:.75rem 2rem;background:#1b1f24;color:#fff}
.banner .brand{margin:0;font-weight:700}
.banner .who{margin:0}
.banner button{background:#f3f2f1;color:#1b1f24;margin:0 0 0 .75rem}
main{max-width:68rem;margin:1.5rem auto;padding:1.5rem 2rem;background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.15)}
main.narrow,.narrow main{max-width:34rem}
h1{font-size:1.5rem;margin:0 0 1rem}
h2{font-size:1.2rem;margin:0 0 .5rem}
h3{font-size:1rem;margin:1rem 0 .25rem}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}
.hint{margin:0 0 .25rem;color:#505a5f;font-size:.9rem}
input[type=text],input[type=password],input[type=datetime-local],select{width:100%;padding:.55rem;border:1px solid #6f777b;border-radius:4px;font:inherit;background:#fff}
button{padding:.6rem 1.1rem;border:0;border-radius:4px;background:#00703c;color:#fff;font:inherit;font-weight:600;cursor:pointer;margin-top:1rem}
button.danger{background:#b3261e}
button.secondary{background:#f3f2f1;color:#1b1f24;border:1px solid #6f777b}
.stacked button{display:block;width:100%}
.inline-form{display:inline;margin:0}
.error{padding:.75rem;border-left:5px solid #d4351c;background:#fdf2f0}
.success{padding:.75rem;border-left:5px solid #00703c;background:#eef7f1}
.muted{color:#505a5f}
.visually-hidden{position:absolute!important;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
.consents{list-style:none;margin:0;padding:0;display:grid;gap:1rem}
.consent{border:1px solid #d0d4da;border-radius:6px;padding:1rem 1.25rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:.5rem 0}
dt{font-weight:600}
dd{margin:0;min-width:0;overflow-wrap:anywhere}
.consent ul{margin:.25rem 0;padding-left:1.2rem}
.status{display:inline-block;padding:.1rem .5rem;border-radius:3px;font-size:.9rem;font-weight:600;background:#e8eaed}
.status-live{background:#cce2d8;color:#005a30}
.status-ended{background:#f4d8d6;color:#7a1b14}
.filters{display:grid;grid-template-columns:repeat(auto-fit,minmax(14rem,1fr));gap:0 1rem;border:1px solid #d0d4da;border-radius:6px;padding:.5rem 1rem 1rem;margin:0 0 1rem}
.filters legend{font-weight:600;padding:0 .25rem}
.toolbar{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;margin:1rem 0}
.toolbar button{margin:0}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.9rem}
caption{text-align:left;font-weight:600;padding:.5rem 0}
th,td{text-align:left;vertical-align:top;padding:.4rem .5rem;border-bottom:1px solid #d0d4da}
td code{word-break:break-all;font-size:.85rem}
nav.pager{display:flex;gap:1.5rem;margin:1rem 0}
.verification{margin:1rem 0}
`;
