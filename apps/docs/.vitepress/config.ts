import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { katex } from '@mdit/plugin-katex';
import { defineConfig, type DefaultTheme } from 'vitepress';

// The site bundles the workspace packages from their TypeScript sources ("@tsgrad/source"), as the
// tests do, so it never depends on a stale dist/. Everything is bundled: no CDN, no network.
const conditions = ['@tsgrad/source', 'browser', 'module', 'import', 'default'];

const LECTURE = [
  ['01-setup', '1. Setup and plotting', '1. 준비와 시각화'],
  ['02-hard-cases', '2. Hard cases for a linear classifier', '2. 선형 분류기가 풀기 어려운 문제'],
  ['03-neuron', '3. The neuron', '3. 뉴런'],
  ['04-feed-forward', '4. Feed-forward networks', '4. 순방향 신경망'],
  ['05-activations', '5. Activation functions', '5. 활성화 함수'],
  ['06-shapes', '6. Matrix shapes', '6. 행렬의 모양'],
  ['07-backpropagation', '7. Backpropagation', '7. 역전파'],
  ['08-computational-graph', '8. The computational graph', '8. 계산 그래프'],
  ['09-sigmoid-gate', '9. The sigmoid gate', '9. 시그모이드 게이트'],
  ['10-practice', '10. The practice program', '10. 실습 프로그램'],
] as const;
const GUIDES = [
  ['gradient-checking', 'Gradient checking', '기울기 검사'],
  ['memory', 'Memory and tidy', '메모리와 tidy'],
  ['plotting', 'Plotting', '시각화'],
  ['checkpoints', 'Checkpoints', '체크포인트'],
  ['backends', 'Writing and testing a backend', '백엔드 작성과 테스트'],
  ['mnist', 'MNIST: a CNN in your browser', 'MNIST: 브라우저에서 합성곱 신경망'],
] as const;

/** The API reference's pages, listed by scripts/api.mjs when it generates them. */
function apiItems(prefix: string): DefaultTheme.SidebarItem[] {
  const file = fileURLToPath(new URL('../content/api/packages.json', import.meta.url));
  if (!existsSync(file)) return [];
  const packages = JSON.parse(readFileSync(file, 'utf8')) as { name: string; slug: string }[];
  return packages.map((p) => ({ text: p.name, link: `${prefix}api/${p.slug}` }));
}

function sidebar(ko: boolean): DefaultTheme.Sidebar {
  const prefix = ko ? '/ko/' : '/';
  const pick = (row: readonly string[]) => (ko ? row[2]! : row[1]!);
  return [
    { text: ko ? '시작하기' : 'Getting started', items: [{ text: ko ? '설치와 첫 모델' : 'Install, first model, backends', link: `${prefix}guide/getting-started` }] },
    { text: ko ? '강의: 신경망 (순한맛)' : 'The lecture: neural networks', items: LECTURE.map((row) => ({ text: pick(row), link: `${prefix}lecture/${row[0]}` })) },
    { text: ko ? '가이드' : 'Guides', items: GUIDES.map((row) => ({ text: pick(row), link: `${prefix}guides/${row[0]}` })) },
    { text: ko ? '벤치마크' : 'Benchmarks', items: [{ text: ko ? '다른 라이브러리와 비교' : 'Against other libraries', link: `${prefix}benchmarks` }] },
    { text: ko ? 'API 참조' : 'API reference', collapsed: true, items: [{ text: ko ? '개요' : 'Overview', link: `${prefix}api/` }, ...apiItems(prefix)] },
  ];
}

// Opened from disk (file://), the page cannot load its scripts: say so instead of a blank page.
const FILE_WARNING = `if (location.protocol === 'file:') addEventListener('DOMContentLoaded', function () {
  var d = document.createElement('div');
  d.setAttribute('style', 'position:fixed;inset:0 0 auto 0;z-index:1000;background:#b91c1c;color:#fff;padding:12px 16px;font:16px/1.5 system-ui,sans-serif');
  d.textContent = 'This site must be served over HTTP, not opened from disk: run "pnpm --filter @tsgrad-apps/docs preview" (or any static server in apps/docs/dist) and open the address it prints. / 이 사이트는 디스크에서 바로 열 수 없습니다. "pnpm --filter @tsgrad-apps/docs preview"로 띄운 주소를 여세요.';
  document.body.prepend(d);
});`;

export default defineConfig({
  srcDir: 'content',
  outDir: fileURLToPath(new URL('../dist', import.meta.url)),
  cleanUrls: false,
  title: 'tsgrad',
  description: 'Deep learning for TypeScript, and the lecture it grows out of, running in your browser.',
  head: [
    ['link', { rel: 'icon', href: 'data:,' }],
    ['script', {}, FILE_WARNING],
  ],
  lastUpdated: false,
  markdown: {
    config: (md) => {
      md.use(katex);
    },
  },
  locales: {
    root: {
      label: 'English',
      lang: 'en-US',
      themeConfig: {
        nav: [
          { text: 'Getting started', link: '/guide/getting-started' },
          { text: 'Lecture', link: '/lecture/01-setup' },
          { text: 'Guides', link: '/guides/gradient-checking' },
          { text: 'API', link: '/api/' },
        ],
        sidebar: sidebar(false),
      },
    },
    ko: {
      label: '한국어',
      lang: 'ko-KR',
      link: '/ko/',
      title: 'tsgrad',
      description: 'TypeScript로 하는 딥러닝, 그리고 그 바탕이 된 강의를 브라우저에서 직접 실행합니다.',
      themeConfig: {
        nav: [
          { text: '시작하기', link: '/ko/guide/getting-started' },
          { text: '강의', link: '/ko/lecture/01-setup' },
          { text: '가이드', link: '/ko/guides/gradient-checking' },
          { text: 'API', link: '/ko/api/' },
        ],
        sidebar: sidebar(true),
        outline: { label: '이 페이지의 내용' },
        docFooter: { prev: '이전', next: '다음' },
        darkModeSwitchLabel: '어두운 테마',
        sidebarMenuLabel: '메뉴',
        returnToTopLabel: '맨 위로',
        langMenuLabel: '언어 바꾸기',
        notFound: { title: '페이지를 찾을 수 없습니다', quote: '주소를 확인하거나 처음 화면으로 돌아가세요.', linkText: '처음으로' },
      },
    },
  },
  themeConfig: {
    search: {
      provider: 'local',
      options: {
        locales: {
          ko: {
            translations: {
              button: { buttonText: '검색', buttonAriaLabel: '검색' },
              modal: {
                displayDetails: '자세히 보기',
                resetButtonTitle: '검색어 지우기',
                backButtonTitle: '닫기',
                noResultsText: '결과가 없습니다',
                footer: { selectText: '선택', navigateText: '이동', closeText: '닫기' },
              },
            },
          },
        },
      },
    },
    outline: 'deep',
  },
  vite: {
    resolve: { conditions },
    ssr: { resolve: { conditions: ['@tsgrad/source', 'node', 'import', 'default'] } },
    build: { target: 'es2022', chunkSizeWarningLimit: 8000, reportCompressedSize: false },
  },
});
